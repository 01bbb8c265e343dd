"""A stand-in for the requests package: serves the synthetic Cora archive (cora_standin) for
the programs that download cora.tgz, and refuses every other URL (no network in tests)."""
import io

import cora_standin


class ConnectionError(OSError):
    pass


class Response:
    def __init__(self, content: bytes):
        self.content = content
        self.raw = io.BytesIO(content)
        self.status_code = 200

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def get(url, stream=False, **kwargs):
    if url.endswith("cora.tgz"):
        return Response(cora_standin.tgz())
    raise ConnectionError(f"no network in the program tests: {url}")
