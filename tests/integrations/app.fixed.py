import json


def load(path):
    with open(path) as handle:
        data = json.load(handle)
    if data is None:
        return {}
    return data
