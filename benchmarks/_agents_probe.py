"""Run by agent_overhead.py in a process of its own: N runs of one agent through pai's
supervisor (max_parallel from config), or the same N streams through the raw anthropic SDK with
the same concurrency. Prints the wall time in seconds.

    python _agents_probe.py pai N          (PAI_HOME from the environment)
    python _agents_probe.py raw N BASE_URL PARALLEL
"""

from __future__ import annotations

import asyncio
import sys
import time


async def pai(count: int) -> float:
    from pai_tui.agents.runs import RunRequest
    from pai_tui.cockpit import Cockpit
    from pai_tui.config import load_config

    cockpit = Cockpit(load_config())
    try:
        supervisor = cockpit.agents
        agent = (await supervisor.catalog()).get("researcher")
        assert agent is not None
        await cockpit.providers.warm_up()  # the SDK's import is start-up, not overhead
        await cockpit.history.store()
        requests = [RunRequest(agent, f"task {i}") for i in range(count)]
        started = time.perf_counter()
        results = await supervisor.run_all(requests)
        elapsed = time.perf_counter() - started
        assert all(r.status == "complete" for r in results), [r.status for r in results]
        return elapsed
    finally:
        await cockpit.aclose()


async def raw(count: int, base_url: str, parallel: int) -> float:
    import anthropic

    client = anthropic.AsyncAnthropic(api_key="sk-ant-benchmark-key-0000", base_url=base_url,
                                      max_retries=0)
    slots = asyncio.Semaphore(parallel)

    async def one() -> None:
        async with slots:
            stream = await client.messages.create(
                model="claude-sonnet-4-6", max_tokens=8192, stream=True,
                messages=[{"role": "user", "content": "go"}])
            async for _event in stream:
                pass

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    elapsed = time.perf_counter() - started
    await client.close()
    return elapsed


if __name__ == "__main__":
    mode, count = sys.argv[1], int(sys.argv[2])
    if mode == "pai":
        print(asyncio.run(pai(count)))
    else:
        print(asyncio.run(raw(count, sys.argv[3], int(sys.argv[4]))))
