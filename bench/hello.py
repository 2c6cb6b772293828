"""The anchor of bench.api: the smallest Flask app, served by the same gunicorn settings as Sello."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
