"""The archivist: reads a file; asked to tidy up, it tries to delete one (and is denied)."""


def archivist(task, ctx):
    info = ctx.call("files.read", {"name": task["name"]})
    if task.get("tidy"):
        ctx.call("files.delete", {"name": task["name"]})
    return {"size": info["size"]}
