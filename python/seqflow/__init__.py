"""seqflow from Python: run declarative sequence-modeling pipelines and stream records through them.

    import numpy as np, seqflow
    p = seqflow.Pipeline('''
    [[stage]]
    name = "in"
    plugin = "embed.input"
    fields = { seq = "string" }
    [[stage]]
    name = "rc"
    plugin = "dna.revcomp"
    [[stage]]
    name = "out"
    plugin = "embed.output"
    ''')
    for rec in p.stream({"id": str(i), "seq": s} for i, s in enumerate(["ACGT", "AAC"])):
        print(rec)            # {'id': '0', 'seq': 'ACGT'}, {'id': '1', 'seq': 'GTT'}

Records are dicts of str, bytes, int, float and NumPy arrays (float32, float16, int64, int32, uint8,
int8; bf16 tensors come out as uint16). A pushed array is copied once into the engine's buffer; an array
that comes out is the engine's buffer itself (no copy). Records come out in the order they went in, at
any thread count. The GIL is released while the engine works, so other Python threads run meanwhile.
"""
from __future__ import annotations

import os
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from . import _seqflow
from ._seqflow import InvalidPipelineError, PipelineError, RecordError, SeqflowError

__all__ = [
    "Pipeline",
    "plugins",
    "inspect",
    "SeqflowError",
    "InvalidPipelineError",
    "PipelineError",
    "RecordError",
]

# The built-in plugins beside the package (a wheel's copy, or a build tree's link to its plugin folder,
# resolved so that messages name the same files as the CLI's).
_here = os.path.dirname(os.path.abspath(__file__))
if os.path.isdir(os.path.join(_here, "plugins")):
    _seqflow.add_plugin_dir(os.path.realpath(os.path.join(_here, "plugins")))

_READY_OUTPUT, _READY_INPUT, _READY_DONE, _READY_TIMEOUT = 0, 1, 2, 3


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, os.PathLike):
        return _toml_value(os.fspath(v))
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"an override value is a bool, int, float, str, list or dict, got {type(v).__name__}")


def _shard(shard: Optional[Tuple[int, int]]) -> Tuple[int, int]:
    if shard is None:
        return 0, 1
    i, n = shard
    return int(i), int(n)


def _overrides(overrides: Union[None, Mapping[str, Any], Sequence[str]]) -> List[str]:
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return [f"{k}={_toml_value(v)}" for k, v in overrides.items()]
    if isinstance(overrides, str):
        raise TypeError('overrides is a dict {"stage.key": value} or a list of "stage.key=value" strings')
    return list(overrides)


class Pipeline:
    """A pipeline loaded from a TOML file or from TOML text, validated against its plugins.

    ``source`` is a path (str or os.PathLike) or the TOML itself (a str holding a newline). ``overrides``
    are ``{"stage.key": value}`` or ``["stage.key=value", ...]``, as ``seqflow run --set`` takes them.
    TOML text resolves relative paths against ``base_dir`` (default: the current folder).
    Raises InvalidPipelineError with the message ``seqflow validate`` prints.
    """

    def __init__(self, source: Union[str, os.PathLike], overrides: Union[None, Mapping[str, Any], Sequence[str]] = None,
                 *, base_dir: Optional[Union[str, os.PathLike]] = None, threads: Optional[int] = None):
        sets = _overrides(overrides)
        self._threads = -1 if threads is None else int(threads)
        if isinstance(source, os.PathLike) or (isinstance(source, str) and "\n" not in source):
            self._native = _seqflow.load(os.fspath(source), sets)
        elif isinstance(source, str):
            self._native = _seqflow.load_string(source, sets, os.fspath(base_dir) if base_dir else "")
        else:
            raise TypeError(f"a pipeline is a path or TOML text, got {type(source).__name__}")

    def validate(self) -> None:
        """Creates every resource and stage as a run would, reading no record (``seqflow validate``)."""
        self._native.validate()

    def run(self, *, threads: Optional[int] = None, shard: Optional[Tuple[int, int]] = None) -> Dict[str, Any]:
        """Runs a pipeline that reads and writes files, to completion; returns its per-stage summary.

        ``shard=(i, n)`` runs shard i of n by record position, as ``seqflow run --shard i/n`` (outputs keep
        their names: give each shard its own with ``overrides``). Raises PipelineError (stage, plugin,
        record, reason) or InvalidPipelineError as ``seqflow run`` would exit 1 or 2.
        """
        return self._native.run(self._pick(threads), *_shard(shard))

    def stream(self, records: Iterable[Mapping[str, Any]] = (), *, threads: Optional[int] = None,
               shard: Optional[Tuple[int, int]] = None) -> Iterator[Dict[str, Any]]:
        """Pushes ``records`` into the pipeline's ``embed.input`` stage and yields what its ``embed.output``
        stage receives, in order, while the pipeline works on the next ones.

        At most max_in_flight records are taken from ``records`` ahead of the output, so an endless
        iterable streams in bounded memory. Closing the generator early (``break``) cancels the run.
        A pipeline without ``embed.input`` reads its own inputs (``records`` must be empty); one without
        ``embed.output`` yields nothing. Raises RecordError for a record that does not match the
        input's ``fields``, PipelineError when a stage fails. ``shard=(i, n)`` keeps the source records at
        positions i, i+n, ... (``--shard i/n``): one shard per DataLoader worker, say.
        """
        s = self._native.stream(self._pick(threads), *_shard(shard))
        it = iter(records) if s.has_input else None
        # Records cross in batches (one call, one lock and one wake-up each), so that the engine reads
        # them in chunks; the batch is small next to max_in_flight so that output keeps flowing.
        batch = max(1, min(64, s.max_in_flight // 4))
        finished = False
        try:
            if it is None and any(True for _ in records):
                raise ValueError("this pipeline has no embed.input stage: it reads its own inputs")
            while True:
                taken = 0
                if it is not None:
                    taken, exhausted = s.push_from(it, batch)
                    if exhausted:
                        it = None
                        s.close()
                outs = s.pull_many(256) if s.has_output else None
                if outs:
                    yield from outs
                    continue
                if taken:
                    continue
                if s.wait(it is not None) == _READY_DONE:
                    break
            finished = True
            s.finish()
        finally:
            if not finished:
                s.cancel()
                try:
                    s.finish()
                except SeqflowError:
                    pass

    def graph(self, format: str = "dot") -> str:
        """The graph in Graphviz DOT or Mermaid (``seqflow graph``)."""
        return self._native.graph(format)

    def _pick(self, threads: Optional[int]) -> int:
        return self._threads if threads is None else int(threads)


def plugins() -> List[Dict[str, Any]]:
    """The plugin modules found (``seqflow plugins``): name, version, path, doc, components [(name, kind)]."""
    return _seqflow.plugins()


def inspect(name: str) -> Dict[str, Any]:
    """A component's or resource type's declaration (``seqflow inspect``): kind, doc, example,
    concurrency, flags, params [{name, type, required, default, doc, choices}], fields
    [{access, name, param, type, optional, doc}]. Raises InvalidPipelineError for an unknown name."""
    return _seqflow.inspect(name)
