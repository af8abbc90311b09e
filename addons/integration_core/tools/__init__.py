"""Plain-Python mechanics of the integration backbone, free of the ORM so they can be read
and tested on their own: secrets, signing, backoff, circuit breaker, rate limiting, schemas
and the HTTP transport. Models orchestrate them."""
