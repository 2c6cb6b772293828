"""One test module per finding of the hostile review: each reproduces the original request and asserts the
safe result."""
