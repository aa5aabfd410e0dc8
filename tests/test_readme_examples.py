"""The grpcurl examples in README.md run, verbatim, against the real server.

Every ```sh block of the section between the grpcurl-examples markers is one grpcurl
command; it is run in order against one fresh server, with only `grpcurl` replaced by
the venv's binary and `localhost:50051` by the test server's address. A ```json block
right after a command is its exact answer; a ```text block is its exact error output
(compared line by line, ignoring whitespace runs). A `# exits with status N` comment
in the block documents a non-zero exit status.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from databases import fresh_db
from server_process import GRPCURL, ServerProcess

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START = "<!-- grpcurl-examples:start -->"
END = "<!-- grpcurl-examples:end -->"
USER_ADDRESS = "localhost:50051"
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
    out: list[Example] = []
    for lang, body in FENCE.findall(text):
        if lang == "sh":
            status = EXIT_STATUS.search(body)
            out.append(Example(body, command_argv(body), int(status.group(1)) if status else 0))
        elif lang == "json" and out and out[-1].json_answer is None:
            out[-1].json_answer = body
        elif lang == "text" and out and out[-1].error_text is None:
            out[-1].error_text = body
    return out


def normalized_lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def runnable(example: Example, address: str) -> list[str]:
    argv = list(example.argv)
    assert argv[0] == "grpcurl", f"not a grpcurl command:\n{example.source}"
    assert argv.count(USER_ADDRESS) == 1, f"expected {USER_ADDRESS} once:\n{example.source}"
    assert "-plaintext" in argv, example.source
    return [GRPCURL] + [address if word == USER_ADDRESS else word for word in argv[1:]]


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


def test_readme_examples_run_verbatim(tmp_path):
    text, source = examples_text()
    examples = parse_examples(text)
    with ServerProcess(fresh_db(tmp_path, "t")) as server:
        for example in examples:
            argv = runnable(example, server.address)
            try:
                done = subprocess.run(
                    argv,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=TIMEOUT,
                )
            except subprocess.TimeoutExpired:
                pytest.fail(f"timed out:\n{example.source}")
            where = f"{source}:\n{example.source}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
            assert done.returncode == example.exit_status, where
            if example.json_answer is not None:
                assert json.loads(done.stdout) == json.loads(example.json_answer), where
            if example.error_text is not None:
                assert normalized_lines(done.stderr) == normalized_lines(example.error_text), where
            if example.exit_status == 0:
                check_answer(argv, done.stdout, where)


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
