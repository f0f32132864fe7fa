"""Reading from peers over HTTP within caps and deadlines: bounded decoding and the client hooks."""
