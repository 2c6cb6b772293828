"""The state machines of Sello, built with `transitions`. No Flask, no database: plain facts in, a transition out."""
