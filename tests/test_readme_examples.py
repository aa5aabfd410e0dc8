"""The grpcurl examples in README.md run, verbatim, against the real server, and so
do their curl twins against the HTTP/JSON gateway of another.

Every ```sh block of the section between the grpcurl-examples markers is one grpcurl
command; it is run in order against one fresh server, with only `grpcurl` replaced by
the venv's binary and `localhost:50051` by the test server's address. A ```json block
right after a command is its exact answer; a ```text block is its exact error output
(compared line by line, ignoring whitespace runs). A `# exits with status N` comment
in the block documents a non-zero exit status.

A ```sh block with a `curl` command after a grpcurl example is its twin: the same call
over HTTP (`http://localhost:8080` becomes the gateway of a second fresh server, which
gets every twin in the same order, so both see the same data). Its answer must equal
the grpcurl answer once both are read as the RPC's response message (JSON names and
proto names alike) and the instants the servers took from their own clocks are
masked; an error must have the same code, message and field violations.
"""

from __future__ import annotations

import base64
import json
import math
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from databases import fresh_db
from google.protobuf import any_pb2, json_format, message_factory
from google.rpc import error_details_pb2
from server_process import GRPCURL, ServerProcess

from ticketminer.api.handlers import SERVICE

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START = "<!-- grpcurl-examples:start -->"
END = "<!-- grpcurl-examples:end -->"
USER_ADDRESS = "localhost:50051"
USER_HTTP = "http://localhost:8080"
TIMEOUT = 20.0

FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
EXIT_STATUS = re.compile(r"^#.*\bexits? with status (\d+)", re.M)


@dataclass
class Example:
    source: str  # the block as written
    argv: list[str]
    exit_status: int = 0
    json_answer: str | None = None
    error_text: str | None = None
    twin: Example | None = None  # the curl command making the same call over HTTP


def examples_text() -> tuple[str, Path]:
    """The README section between the markers."""
    readme = README.read_text(encoding="utf-8")
    assert START in readme and END in readme, "README.md lost its grpcurl-examples markers"
    section = readme.split(START, 1)[1].split(END, 1)[0]
    assert FENCE.search(section), "the README grpcurl section holds no examples"
    return section, README


def command_argv(block: str) -> list[str]:
    """The words of the one command in a sh block, as a POSIX shell would split them."""
    lines = [line for line in block.splitlines() if not line.lstrip().startswith("#")]
    text = re.sub(r"\\\n", "", "\n".join(lines))  # line continuations
    return shlex.split(text)


def parse_examples(text: str) -> list[Example]:
    """The grpcurl examples, each with its curl twin when it has one."""
    out: list[Example] = []
    last: Example | None = None  # the command that answer blocks belong to
    for lang, body in FENCE.findall(text):
        if lang == "sh":
            status = EXIT_STATUS.search(body)
            last = Example(body, command_argv(body), int(status.group(1)) if status else 0)
            if last.argv[0] == "curl":
                assert out and out[-1].twin is None, f"a curl twin without its grpcurl:\n{body}"
                out[-1].twin = last
            else:
                out.append(last)
        elif lang == "json" and last is not None and last.json_answer is None:
            last.json_answer = body
        elif lang == "text" and last is not None and last.error_text is None:
            last.error_text = body
    return out


def normalized_lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def runnable(example: Example, address: str) -> list[str]:
    argv = list(example.argv)
    assert argv[0] == "grpcurl", f"not a grpcurl command:\n{example.source}"
    assert argv.count(USER_ADDRESS) == 1, f"expected {USER_ADDRESS} once:\n{example.source}"
    assert "-plaintext" in argv, example.source
    return [GRPCURL] + [address if word == USER_ADDRESS else word for word in argv[1:]]


def runnable_twin(twin: Example, http_port: int) -> list[str]:
    argv = list(twin.argv)
    assert argv[0] == "curl", twin.source
    urls = [word for word in argv if word.startswith(USER_HTTP + "/")]
    assert len(urls) == 1, f"expected one {USER_HTTP}/ URL:\n{twin.source}"
    local = f"http://127.0.0.1:{http_port}"
    return [CURL or "curl"] + [word.replace(USER_HTTP, local) for word in argv[1:]]


CURL = shutil.which("curl")


def _payload(argv: list[str]) -> str | None:
    for flag in ("-d", "--json", "--data-binary"):
        if flag in argv:
            return argv[argv.index(flag) + 1]
    return None


def _same_request(grpcurl_data: str, curl_data: str) -> bool:
    """The same JSON, but for a field mask: grpcurl's {"paths": [...]} object is the
    canonical mapping's string of lowerCamelCase paths."""
    if grpcurl_data == curl_data:
        return True
    ours, theirs = json.loads(grpcurl_data), json.loads(curl_data)
    mask = ours.pop("update_mask", None)
    camel = [re.sub(r"_([a-z])", lambda m: m[1].upper(), p) for p in (mask or {}).get("paths", [])]
    return theirs.pop("update_mask", None) == ",".join(camel) and ours == theirs


def test_examples_section_is_well_formed():
    text, source = examples_text()
    examples = parse_examples(text)
    assert len(examples) >= 9, f"{source}: too few examples"
    methods = " ".join(" ".join(e.argv) for e in examples)
    for needle in (
        " list",
        " describe ticketminer.v1.TicketMiner",
        "grpc.health.v1.Health/Check",
        "TicketMiner/IngestTicket",
        "TicketMiner/GetTicket",
        "TicketMiner/ListTickets",
        "TicketMiner/GetMetrics",
        "Asia/Shanghai",
        "attributes.carrier",
        "TicketMiner/ReclusterIssues",
        "TicketMiner/ListIssues",
        "TicketMiner/GetIssue",
        '"group_by": "issue"',
    ):
        assert needle in methods, f"{source}: no example with {needle!r}"
    failing = [e for e in examples if e.exit_status != 0]
    assert failing, "one example shows a bad request"
    assert all(e.error_text for e in failing), "a failing example shows its error output"
    for e in examples:
        data = e.argv[e.argv.index("-d") + 1] if "-d" in e.argv else None
        if data is not None and "IngestTickets" not in e.argv[-1]:
            json.loads(data)  # the -d payload is valid JSON as written
        if e.argv[-1] == "list":
            continue
        assert e.twin is not None, f"{source}: no curl twin for\n{e.source}"
        twin_data = _payload(e.twin.argv)
        assert (data is None) == (twin_data is None), e.twin.source
        if data is not None and "IngestTickets" in e.argv[-1]:
            assert twin_data == data, e.twin.source  # NDJSON: the same lines
        elif data is not None:
            assert _same_request(data, twin_data), f"the twin sends other JSON:\n{e.twin.source}"


def _run(argv: list[str], example: Example) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"timed out:\n{example.source}")


def test_readme_examples_run_verbatim(tmp_path):
    text, source = examples_text()
    examples = parse_examples(text)
    if CURL is None:
        pytest.skip("curl is not installed")
    started = datetime.now(UTC)
    with (
        ServerProcess(fresh_db(tmp_path, "t")) as server,
        ServerProcess(fresh_db(tmp_path, "h")) as twin_server,
    ):
        assert twin_server.http_port is not None
        for example in examples:
            argv = runnable(example, server.address)
            done = _run(argv, example)
            where = f"{source}:\n{example.source}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
            assert done.returncode == example.exit_status, where
            if example.json_answer is not None:
                assert json.loads(done.stdout) == json.loads(example.json_answer), where
            if example.error_text is not None:
                assert normalized_lines(done.stderr) == normalized_lines(example.error_text), where
            if example.exit_status == 0:
                check_answer(argv, done.stdout, where)
            if example.twin is not None:
                check_twin(example, done, twin_server.http_port, started)


def check_twin(
    example: Example, grpcurl: subprocess.CompletedProcess[str], http_port: int, started: datetime
) -> None:
    twin = example.twin
    assert twin is not None
    done = _run(runnable_twin(twin, http_port), twin)
    where = f"{twin.source}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert done.returncode == twin.exit_status, where
    answer = json.loads(done.stdout)
    if twin.json_answer is not None:
        assert answer == json.loads(twin.json_answer), where
    target = example.argv[-1]
    if "describe" in example.argv:
        described = set(re.findall(r"rpc (\w+) \(", grpcurl.stdout))
        paths = {path.rsplit("/", 1)[1] for path in answer["paths"]}
        assert described and paths == described, where
    elif example.exit_status != 0:
        assert _grpcurl_error(grpcurl.stderr) == _connect_error(answer), where
    elif target.endswith("Health/Check"):
        assert answer == json.loads(grpcurl.stdout), where
    else:
        output = _response_class(target.rsplit("/", 1)[1])
        expected = _normalized(json.loads(grpcurl.stdout), output, started)
        assert _same(_normalized(answer, output, started), expected), where


def _same(ours: Any, theirs: Any) -> bool:
    """Equal, but floats only to 1e-5: two processes' float32 math (an issue's
    confidence) differs in the last digits."""
    if isinstance(ours, float) or isinstance(theirs, float):
        numbers = all(isinstance(v, int | float) for v in (ours, theirs))
        return numbers and math.isclose(ours, theirs, rel_tol=1e-5, abs_tol=1e-9)
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return ours.keys() == theirs.keys() and all(_same(ours[k], theirs[k]) for k in ours)
    if isinstance(ours, list) and isinstance(theirs, list):
        return len(ours) == len(theirs) and all(map(_same, ours, theirs))
    return ours == theirs


def _response_class(method: str) -> type:
    return message_factory.GetMessageClass(SERVICE.methods_by_name[method].output_type)


# Wall-clock time a recluster or scan took (ReclusterIssuesResponse, ScanAnomaliesResponse).
MEASURED = frozenset({"seconds"})
_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def _normalized(answer: dict, cls: type, started: datetime) -> Any:
    """The answer as its message reads it (proto names), with what the server's own
    clock gave masked: instants after the run began (stored at, generated at) and
    durations measured (MEASURED)."""
    message = json_format.ParseDict(answer, cls())
    value = json_format.MessageToDict(message, preserving_proto_field_name=True)
    since = started - timedelta(seconds=5)

    def mask(item: Any) -> Any:
        if isinstance(item, dict):
            return {k: "<measured>" if k in MEASURED else mask(v) for k, v in item.items()}
        if isinstance(item, list):
            return [mask(v) for v in item]
        clocked = isinstance(item, str) and _INSTANT.fullmatch(item)
        if clocked and datetime.fromisoformat(item.replace("Z", "+00:00")) >= since:
            return "<server clock>"
        return item

    return mask(value)


def _grpcurl_error(stderr: str) -> tuple[str, str, error_details_pb2.BadRequest]:
    """(code as Connect spells it, message, BadRequest) from grpcurl's error text."""
    code = re.search(r"Code: (\w+)", stderr)[1]
    message = re.search(r"Message: (.*)", stderr)[1].strip()
    detail = json.loads(re.search(r"^\s*1\)\s*(\{.*\})\s*$", stderr, re.M)[1])
    found = error_details_pb2.BadRequest()
    json_format.ParseDict(detail, any_pb2.Any()).Unpack(found)
    return re.sub(r"(?<!^)([A-Z])", r"_\1", code).lower(), message, found


def _connect_error(body: dict) -> tuple[str, str, error_details_pb2.BadRequest]:
    (detail,) = body["details"]
    assert detail["type"] == "google.rpc.BadRequest"
    value = base64.b64decode(detail["value"] + "=" * (-len(detail["value"]) % 4))
    found = error_details_pb2.BadRequest.FromString(value)
    assert json_format.ParseDict(detail["debug"], error_details_pb2.BadRequest()) == found
    return body["code"], body["message"], found


def check_answer(argv: list[str], stdout: str, where: str) -> None:
    """The examples show real data: run in order, later calls find the ingested tickets."""
    target = argv[-1]
    if target == "list":
        assert "ticketminer.v1.TicketMiner" in stdout.split(), where
        return
    if "/" not in target:
        return
    answer = json.loads(stdout)
    method = target.rsplit("/", 1)[1]
    if method == "IngestTicket":
        assert answer["outcome"] == "INGEST_OUTCOME_CREATED", where
    elif method == "IngestTickets":
        assert answer.get("rejected") is None and int(answer["accepted"]) >= 1, where
    elif method == "GetTicket":
        assert answer["ticket"]["external_id"], where
    elif method == "ListTickets":
        assert answer["tickets"] and int(answer["total_size"]) >= 1, where
    elif method == "GetMetrics":
        assert int(answer["overall"]["volume"]) >= 1, where
        if answer.get("group_by"):
            assert answer["groups"], where
    elif method == "ReclusterIssues":
        assert answer["model_version"] >= 1 and answer["issues"] >= 1, where
    elif method == "ListIssues":
        assert answer["issues"] and answer["issues"][0]["label"], where
    elif method == "GetIssue":
        assert answer["issue"]["issue_id"] and answer["daily"], where
