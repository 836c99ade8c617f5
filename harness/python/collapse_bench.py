"""The Python side of CollapseBench's method protocol (harness/python-method.ts is the other).

The harness starts this file once per cell, as

    python3 -I collapse_bench.py REQUESTS REPLIES METHOD_PY MEMORY_MB CPU_SECONDS

where REQUESTS and REPLIES are the named pipes it makes in the cell's private folder (the working folder). It
confines the process, imports METHOD_PY and then serves hook calls until the harness closes
REQUESTS. A method module imports this one (`from collapse_bench import Pool`) for the types its
hooks see; CONTRIBUTING.md "Methods in Python" documents them.

Messages, both ways: 8 bytes (two little-endian uint32: JSON length J, binary length B), J bytes
of UTF-8 JSON, B bytes of array data. In the JSON an array is {"$array": [offset, length, dtype]}
(dtype f8, f4, i4 or u1; offset into the binary part, 8-byte aligned); a batch is
{"$batch": id, ...}; a pool part is {"$part": id, ...}. Standard output and error go to files the
harness reads when something fails, never to the protocol.
"""

import json
import os
import struct
import sys
import traceback

DTYPES = {"f8": "<f8", "f4": "<f4", "i4": "<i4", "u1": "u1"}


# ---------------------------------------------------------------------------------------------
# Confinement, before any contributed code runs


def confine(memory_mb, cpu_seconds, folder):
    """Die with the harness, cap memory and CPU time, and refuse what a method never needs.

    Python's audit hooks (PEP 578) are not a security boundary against code written to escape
    them (neither is Node's permission model, which confines TypeScript methods): they stop a
    method from writing outside its cell's folder, starting processes, opening sockets or
    loading native code by accident or by policy-breaking design, and the harness runs
    contributed code without secrets either way.
    """
    import ctypes
    import resource
    import signal

    # PR_SET_PDEATHSIG: when the harness's cell process dies (a time limit kills it), so do we.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, memory_mb * 2**20))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    inside = os.path.realpath(folder) + os.sep

    def writable(path):
        return isinstance(path, (str, bytes)) and os.path.realpath(os.fsdecode(path)).startswith(inside)

    refused = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
               "pty.spawn", "socket.connect", "socket.bind", "socket.sendto", "ctypes.dlopen", "ctypes.dlsym",
               "os.kill", "signal.pthread_kill")
    path_events = ("os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.link",
                   "os.symlink", "os.truncate", "os.utime", "shutil.rmtree", "shutil.move", "shutil.copyfile")

    def audit(event, args):
        if event in refused:
            raise PermissionError(f"collapse-bench: a method may not use {event} (the cell runs confined)")
        if event == "open" and len(args) > 1:
            path, mode, flags = args[0], args[1], args[2] if len(args) > 2 else 0
            wants_write = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND))
            if wants_write and not isinstance(path, int) and not writable(path):
                raise PermissionError(f"collapse-bench: a method may write only inside its cell's folder, not {path!r}")
        if event in path_events and args and not writable(args[0]):
            raise PermissionError(f"collapse-bench: a method may change files only inside its cell's folder ({event} {args[0]!r})")

    sys.addaudithook(audit)


# ---------------------------------------------------------------------------------------------
# Framing


def read_exactly(fd, n):
    chunks = []
    while n > 0:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def receive(fd):
    """The next message as a decoded value, or None when the harness has closed the pipe."""
    import numpy as np

    head = read_exactly(fd, 8)
    if head is None:
        return None
    json_length, binary_length = struct.unpack("<II", head)
    text = read_exactly(fd, json_length)
    blob = read_exactly(fd, binary_length) if binary_length else b""
    if text is None or blob is None:
        return None

    def array(spec):
        offset, length, dtype = spec
        return np.frombuffer(blob, dtype=DTYPES[dtype], count=length, offset=offset).copy()

    return json.loads(text, object_hook=lambda o: array(o["$array"]) if "$array" in o else o)


def send(fd, value):
    import numpy as np

    blobs = []
    offset = 0

    def encode(v):
        nonlocal offset
        if isinstance(v, np.ndarray):
            kind = {np.dtype("float64"): "f8", np.dtype("float32"): "f4", np.dtype("int32"): "i4", np.dtype("uint8"): "u1"}.get(v.dtype)
            if kind is None:
                v, kind = v.astype(np.float64), "f8"
            data = np.ascontiguousarray(v.reshape(-1), dtype=DTYPES[kind]).tobytes()
            spec = {"$array": [offset, int(v.size), kind]}
            pad = (-len(data)) % 8
            blobs.append(data + b"\0" * pad)
            offset += len(data) + pad
            return spec
        if isinstance(v, dict):
            return {str(k): encode(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [encode(x) for x in v]
        if isinstance(v, (np.integer,)):
            return int(v)
        if isinstance(v, (np.floating,)):
            return float(v)
        if hasattr(v, "to_wire"):
            return encode(v.to_wire())
        return v

    text = json.dumps(encode(value), allow_nan=True).encode("utf-8")
    binary = b"".join(blobs)
    os.write(fd, struct.pack("<II", len(text), len(binary)))
    for part in (text, binary):
        view = memoryview(part)
        while view:
            view = view[os.write(fd, view):]


# ---------------------------------------------------------------------------------------------
# What hooks see


class Batch:
    """A batch the harness drew: `size` samples per replicate of `origin` ('real' or 'synthetic')
    from `generation`. Its samples stay in the harness (pool rules weigh them, they do not read them)."""

    __slots__ = ("id", "origin", "generation", "size")

    def __init__(self, id, origin, generation, size):
        self.id, self.origin, self.generation, self.size = id, origin, generation, size

    def to_wire(self):
        return {"$batch": self.id}

    def __repr__(self):
        return f"Batch({self.origin}, generation {self.generation}, {self.size} per replicate)"


class Part:
    """One part of a pool: a batch, with per-sample weights (`weights`, a float64 array of
    replicates × size, replicate-major) or a harness draw recipe (`draw`), or neither (all 1)."""

    __slots__ = ("id", "batch", "weights", "draw")

    def __init__(self, batch, weights=None, draw=None, id=None):
        self.batch, self.weights, self.draw, self.id = batch, weights, draw, id

    def to_wire(self):
        if self.id is not None:
            return {"$part": self.id}
        wire = {"batch": self.batch.to_wire()}
        if self.weights is not None:
            wire["weights"] = self.weights
        if self.draw is not None:
            wire["draw"] = self.draw
        return wire


class Pool:
    """What a pool or filter hook returns: parts, and optionally a subset recipe (see ctx.subsample)."""

    __slots__ = ("parts", "subset")

    def __init__(self, parts, subset=None):
        self.parts, self.subset = list(parts), subset

    def to_wire(self):
        return {"parts": self.parts, **({"subset": self.subset} if self.subset is not None else {})}


class Context:
    """A hook's context: the harness's fields (t, size, replicates, …, as attributes), `rng` (a
    numpy Generator seeded from the cell key, one stream for the whole cell) and, for pool and
    filter hooks, the harness calls below."""

    def __init__(self, session, fields):
        self._session = session
        self.rng = session.rng
        for name, value in fields.items():
            setattr(self, name, value)

    # Pool and filter hooks: batches are drawn by the harness, and so are the random recipes of
    # its pool helpers, from the method's stream: the same draws as the TypeScript helpers.
    def synthetic(self, n):
        return self._session.call("synthetic", {"n": n})

    def real(self, n):
        return self._session.call("real", {"n": n})

    def features(self, batch):
        return self._session.call("features", {"batch": batch})

    def bernoulli_split(self, first, second, p):
        return self._session.call("bernoulli_split", {"first": first, "second": second, "p": p})

    def scale_weights(self, part, factor):
        return self._session.call("scale_weights", {"part": part, "factor": factor})

    def subsample(self, pool, k):
        return self._session.call("subsample", {"pool": pool, "k": k})

    def reweight_shares(self, groups, shares):
        return self._session.call("reweight_shares", {"groups": groups, "shares": shares})


class Session:
    def __init__(self, requests, replies, seed_hex):
        import numpy as np

        self.requests, self.replies = requests, replies
        self.rng = np.random.Generator(np.random.PCG64(int(seed_hex, 16)))
        self.batches = {}
        self.parts = {}

    def resolve(self, value):
        """Batches and parts as objects, one per id for the whole cell."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "$batch" in value:
            id = value["$batch"]
            if id not in self.batches:
                self.batches[id] = Batch(id, value["origin"], value["generation"], value["size"])
            return self.batches[id]
        if "$part" in value:
            id = value["$part"]
            if id not in self.parts:
                self.parts[id] = Part(self.resolve(value["batch"]), value.get("weights"), value.get("draw"), id)
            return self.parts[id]
        if "parts" in value and "$pool" in value:
            return Pool(self.resolve(value["parts"]), value.get("subset"))
        return {k: self.resolve(v) for k, v in value.items()}

    def call(self, name, args):
        send(self.replies, {"type": "callback", "name": name, "args": args})
        message = receive(self.requests)
        if message is None:
            sys.exit(0)
        return self.resolve(message["value"])


def serve(requests, replies, method_path):
    hello = receive(requests)
    session = Session(requests, replies, hello["seed"])
    sys.path.insert(0, os.path.dirname(os.path.abspath(method_path)))
    import importlib.util

    try:
        spec = importlib.util.spec_from_file_location("method", method_path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except BaseException as error:  # noqa: BLE001 - any failure to import is the method's, reported
        send(replies, {"type": "raise", "error": f"importing method.py: {type(error).__name__}: {error}", "traceback": traceback.format_exc()})
        return
    hooks = [name for name in ("pool", "filter", "fit", "estimate") if callable(getattr(module, name, None))]
    send(replies, {"type": "ready", "hooks": hooks})
    while True:
        message = receive(requests)
        if message is None:
            return
        hook = getattr(module, message["hook"])
        try:
            ctx = Context(session, session.resolve(message["ctx"]))
            args = (session.resolve(message["model"]), ctx) if message["hook"] == "estimate" else (ctx,)
            value = hook(*args, message["params"])
        except BaseException as error:  # noqa: BLE001 - SystemExit and KeyboardInterrupt included: the cell fails, with the reason
            send(replies, {"type": "raise", "error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()})
            continue
        send(replies, {"type": "return", "value": value})


if __name__ == "__main__":
    # A method's `import collapse_bench` must see these very classes, not a second copy of the file.
    sys.modules["collapse_bench"] = sys.modules["__main__"]
    requests_path, replies_path, method_path, memory_mb, cpu_seconds = sys.argv[1:6]
    # Made and opened first, in the order the harness waits for them (requests, then replies).
    os.mkfifo(requests_path, 0o600)
    os.mkfifo(replies_path, 0o600)
    requests_fd = os.open(requests_path, os.O_RDONLY)
    replies_fd = os.open(replies_path, os.O_WRONLY)
    import numpy.random  # noqa: F401 - loaded before confinement (its extension modules load native code)

    confine(int(memory_mb), int(cpu_seconds), os.getcwd())
    serve(requests_fd, replies_fd, method_path)
