"""The baseline: the raw anthropic SDK consuming a stream, nothing else. Prints seconds from
request to the last event.   python _raw_sdk.py BASE_URL"""

from __future__ import annotations

import asyncio
import sys
import time

import anthropic


async def consume(base_url: str) -> float:
    client = anthropic.AsyncAnthropic(api_key="sk-ant-benchmark-key-0000", base_url=base_url,
                                      max_retries=0)
    started = time.time()
    stream = await client.messages.create(model="claude-sonnet-4-6", max_tokens=32000,
                                          messages=[{"role": "user", "content": "go"}],
                                          stream=True)
    async for _event in stream:
        pass
    elapsed = time.time() - started
    await client.close()
    return elapsed


if __name__ == "__main__":
    print(asyncio.run(consume(sys.argv[1])))
