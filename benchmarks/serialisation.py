"""Cost per Call of decoding (``Call.from_dict``) and of writing back (``to_dict``, ``to_json``), against json.

The calls are the fake server's 500 (``skipcall_async.testing``'s seeded store), as ``to_dict`` writes them: every
field present, some null (a direct call's sequence ids, absent from the store, are written as nulls).
Each round times every workload once over all of them, in process CPU time with garbage collection off, and the
fastest round of each counts: on a shared machine the slow rounds are other processes' doing. The baseline is
``json.dumps`` of the same dicts (compact, as ``to_json`` writes), measured in the same rounds, so the ratios hold
from machine to machine better than the microseconds do.

``--stock`` also times cattrs' own ``make_dict_structure_fn`` and ``make_dict_unstructure_fn`` with the same field
hooks and the same handling of ``extra``: the alternative to the functions ``skipcall_async/_model_hook.py``
generates.

    python benchmarks/serialisation.py            # about a minute
    python benchmarks/serialisation.py --stock
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from skipcall_async import Call, Page
from skipcall_async._codec import _is_model, converter, to_camel
from skipcall_async.testing._store import Store


def stock_converter() -> cattrs.Converter:
    """The converter, its model hooks made by cattrs' ``make_dict_structure_fn`` and ``make_dict_unstructure_fn``."""
    stock = converter.copy()

    def structure_factory(cl: type[Any], conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
        renames = {f.name: override(rename=to_camel(f.name)) for f in attrs.fields(cl)}
        renames["extra"] = override(omit=True)
        fields = make_dict_structure_fn(cl, conv, **renames)
        known = frozenset(to_camel(f.name) for f in attrs.fields(cl) if f.name != "extra")

        def structure(data: Any, _: Any) -> Any:
            obj = fields(data, cl)
            if not known.issuperset(data):
                object.__setattr__(obj, "extra", MappingProxyType({k: v for k, v in data.items() if k not in known}))
            return obj

        return structure

    def factory(cl: type[Any], conv: cattrs.Converter) -> Callable[[Any], dict[str, Any]]:
        renames = {f.name: override(rename=to_camel(f.name)) for f in attrs.fields(cl)}
        renames["extra"] = override(omit=True)
        fields = make_dict_unstructure_fn(cl, conv, **renames)
        value_of = conv.get_unstructure_hook(Any)

        def unstructure(obj: Any) -> dict[str, Any]:
            res = fields(obj)
            for key, value in obj.extra.items():
                if key not in res:
                    res[key] = value_of(value)
            return res

        return unstructure

    stock.register_structure_hook_factory(_is_model, structure_factory)
    stock.register_unstructure_hook_factory(lambda tp: _is_model(tp) and not issubclass(tp, Page), factory)
    return stock


def workloads(dicts: list[dict[str, Any]], *, stock: bool) -> dict[str, Callable[[], object]]:
    """Name -> a function doing that work once per call."""
    texts = [json.dumps(d, separators=(",", ":"), ensure_ascii=False) for d in dicts]
    calls = [Call.from_dict(d) for d in dicts]
    assert [c.to_dict() for c in calls] == dicts, "the benchmark data must round-trip"
    dumps, loads = json.dumps, json.loads
    chosen: dict[str, Callable[[], object]] = {
        "json.dumps(dict) [baseline]": lambda: [dumps(d, separators=(",", ":"), ensure_ascii=False) for d in dicts],
        "json.loads(text)": lambda: [loads(t) for t in texts],
        "Call.from_dict(dict)": lambda: [Call.from_dict(d) for d in dicts],
        "call.to_dict()": lambda: [c.to_dict() for c in calls],
        "call.to_json()": lambda: [c.to_json() for c in calls],
    }
    if stock:
        conv = stock_converter()
        read, write = conv.get_structure_hook(Call), conv.get_unstructure_hook(Call)
        assert [read(d, Call) for d in dicts] == calls
        assert [write(c) for c in calls] == dicts
        chosen["cattrs stock from_dict"] = lambda: [read(d, Call) for d in dicts]
        chosen["cattrs stock to_dict"] = lambda: [write(c) for c in calls]
    return chosen


def measure(jobs: dict[str, Callable[[], object]], *, rounds: int, repeat: int) -> dict[str, float]:
    """Fastest round of each job, in seconds for ``repeat`` runs; rounds interleave the jobs."""
    best = dict.fromkeys(jobs, float("inf"))
    gc.disable()
    try:
        for _ in range(rounds):
            for name, job in jobs.items():
                start = time.process_time()
                for _ in range(repeat):
                    job()
                best[name] = min(best[name], time.process_time() - start)
    finally:
        gc.enable()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=25, help="rounds; the fastest of each workload counts")
    parser.add_argument("--repeat", type=int, default=10, help="passes over the 500 calls per round")
    parser.add_argument("--stock", action="store_true", help="also time cattrs' stock unstructure function")
    args = parser.parse_args()
    dicts = [Call.from_dict(d).to_dict() for d in Store().calls.values()]
    best = measure(workloads(dicts, stock=args.stock), rounds=args.rounds, repeat=args.repeat)
    per_call = {name: seconds / args.repeat / len(dicts) * 1e6 for name, seconds in best.items()}
    baseline = per_call["json.dumps(dict) [baseline]"]
    print(f"{len(dicts)} calls, fastest of {args.rounds} rounds of {args.repeat} passes, process CPU time")
    for name, micros in per_call.items():
        print(f"  {name:<30} {micros:7.2f} µs per Call   {micros / baseline:5.2f} x json.dumps")


if __name__ == "__main__":
    main()
