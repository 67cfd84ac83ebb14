"""Producer CPU per record for each Kafka compression codec, against the local broker.

    .venv/bin/python bench/kafka/codecs.py [--records 5000]

Sends the Cal.com booking sample (about 3 kB) with our producer settings (256 kB batches,
linger 2 ms, acks=all) once per codec, reads every record back to check it arrived intact, and
prints the producer process's CPU time per record.
"""

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from dealflow_libs.devstack.broker import LocalBroker
from dealflow_libs.kafka import ensure_topics
from dealflow_libs.testing.servers import free_port
from ingest import samples

CODECS = ["gzip", "lz4", "zstd", "snappy", None]


async def produce(bootstrap: str, topic: str, codec: str | None, payload: bytes, n: int) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        compression_type=codec,
        linger_ms=2,
        acks="all",
        max_batch_size=256 * 1024,
    )
    await producer.start()
    try:
        started = time.process_time()
        pending = [
            await producer.send(topic, payload, key=str(i).encode(), headers=[("ce_id", b"x")])
            for i in range(n)
        ]
        await asyncio.gather(*pending)
        return time.process_time() - started
    finally:
        await producer.stop()


async def read_back(bootstrap: str, topic: str, payload: bytes, n: int) -> int:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    intact = 0
    try:
        while intact < n and (batch := await consumer.getmany(timeout_ms=3000)):
            intact += sum(m.value == payload for records in batch.values() for m in records)
    finally:
        await consumer.stop()
    return intact


async def main(bootstrap: str, records: int) -> None:
    payload = orjson.dumps(samples.load("calcom_booking_created"))
    print(f"{records} records of {len(payload)} bytes each")
    print(f"{'codec':<8} {'producer CPU us/record':>24} {'read back intact':>18}")
    for codec in CODECS:
        topic = f"bench.codecs.{codec or 'none'}.{time.time_ns()}"
        await ensure_topics(bootstrap, [topic], partitions=3)
        cpu = await produce(bootstrap, topic, codec, payload, records)
        intact = await read_back(bootstrap, topic, payload, records)
        print(f"{codec or 'none':<8} {cpu / records * 1e6:>24.1f} {intact:>12}/{records}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        broker = LocalBroker(free_port(), Path(folder) / "broker.log")
        broker.start()
        try:
            asyncio.run(main(broker.bootstrap, args.records))
        finally:
            broker.stop()
