"""SCIM 2.0 protocol core (RFC 7643, RFC 7644).

Pure Python: this package imports only the standard library, never falcon, SQLAlchemy, pymysql
or click, so the protocol rules are testable on their own and reusable by any store.
"""
