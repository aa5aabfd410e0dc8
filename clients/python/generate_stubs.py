"""Generate the client's stubs from protos/ticketminer/v1/ticketminer.proto.

They are the server's stubs moved from `ticketminer.v1` to `ticketminer_client.v1`, so
that both distributions can be installed side by side. Only the Python module paths
move: the descriptor keeps its file name, ticketminer/v1/ticketminer.proto, and is
byte-identical to the server's, so protobuf accepts both in one process (the tests run
a server and a client together).

    python clients/python/generate_stubs.py           # rewrite the checked-in stubs
    python clients/python/generate_stubs.py --check   # exit 1 when they drifted
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROTO = "ticketminer/v1/ticketminer.proto"
STUBS = Path(__file__).resolve().parent / "src" / "ticketminer_client" / "v1"
FILES = ("ticketminer_pb2.py", "ticketminer_pb2.pyi", "ticketminer_pb2_grpc.py")

# (file, server text, client text): each must occur exactly once.
MOVES = (
    ("ticketminer_pb2_grpc.py", "from ticketminer.v1 import", "from ticketminer_client.v1 import"),
    (
        "ticketminer_pb2.py",
        "'ticketminer.v1.ticketminer_pb2'",
        "'ticketminer_client.v1.ticketminer_pb2'",
    ),
)


def generate(out: Path) -> None:
    """Write the client's stubs into `out` (needs grpcio-tools, a dev dependency)."""
    from grpc_tools import protoc

    with tempfile.TemporaryDirectory() as tmp:
        args = ["protoc", f"-I{ROOT / 'protos'}", f"-I{_well_known_protos()}"]
        args += [f"--python_out={tmp}", f"--pyi_out={tmp}", f"--grpc_python_out={tmp}"]
        if protoc.main([*args, str(ROOT / "protos" / PROTO)]) != 0:
            raise RuntimeError(f"protoc failed on {PROTO}")
        generated = Path(tmp) / "ticketminer" / "v1"
        out.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            text = (generated / name).read_text(encoding="utf-8")
            for file, server, client in MOVES:
                if file == name:
                    if text.count(server) != 1:
                        raise RuntimeError(f"expected {server!r} once in the generated {name}")
                    text = text.replace(server, client)
            (out / name).write_text(text, encoding="utf-8")


def _well_known_protos() -> str:
    from importlib.resources import files

    return str(files("grpc_tools") / "_proto")


def drifted(stubs: Path = STUBS) -> list[str]:
    """The checked-in stub files that differ from freshly generated ones."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        return [n for n in FILES if not filecmp.cmp(Path(tmp) / n, stubs / n, shallow=False)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the stubs drifted")
    if parser.parse_args().check:
        stale = drifted()
        if stale:
            print(f"client stubs drifted from {PROTO}: {', '.join(stale)}; run 'make client-proto'")
            return 1
        return 0
    generate(STUBS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
