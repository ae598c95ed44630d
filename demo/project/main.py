import os

from flask import Flask

app = Flask(__name__)
# Read from the environment at run time: not a secret in the code.
DATABASE_URL = os.environ.get("DATABASE_URL")


@app.route("/")
def index():
    return "hello"
