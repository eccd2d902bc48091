"""The files connector: answers from memory, so the scenario runs offline."""


def files(operation, payload):
    return {"name": payload.get("name"), "size": 42}
