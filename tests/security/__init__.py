"""One module per finding of the hostile review: each replays the original request and asserts the safe result."""
