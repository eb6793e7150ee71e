// A blocking HTTP/1.1 client that keeps the exact bytes on the wire.
