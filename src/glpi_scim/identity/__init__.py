"""The identity-server model every layer shares: the server, its options, its errors."""
