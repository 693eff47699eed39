"""Use cases: a Session and plain arguments in, plain data out. The only code that touches the database."""
