"""A TCP relay that delays each direction, standing in for a slow link where the kernel has no
netem (`tc qdisc ... netem` is refused on these machines).

Usage: python3 delay-relay.py LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS [DROP]
Accepts connections on LISTEN_HOST:LISTEN_PORT and relays each to TARGET_HOST:TARGET_PORT; every
chunk read is written DELAY_MS later, in order, both ways (so a round trip costs twice DELAY_MS).
With DROP given as "odd", the 1st, 3rd, 5th ... connection is closed as soon as it is accepted,
as a busy server drops one (git daemon past --max-connections, sshd past MaxStartups); each one
dropped is one line "dropped" on standard error.
Prints "ready" once it listens; runs until killed.
"""
import asyncio
import sys

LISTEN_HOST, LISTEN_PORT, TARGET_HOST, TARGET_PORT, DELAY_MS = sys.argv[1:6]
DELAY = int(DELAY_MS) / 1000
DROP = sys.argv[6] if len(sys.argv) > 6 else ""
accepted = 0


async def pipe(reader, writer):
    """Copies reader to writer, each chunk DELAY after it was read, keeping the order."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def send():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                try:
                    writer.write_eof()
                except (OSError, RuntimeError):
                    pass
                return
            writer.write(data)
            try:
                await writer.drain()
            except OSError:
                return

    sender = asyncio.create_task(send())
    try:
        while True:
            data = await reader.read(65536)
            queue.put_nowait((loop.time() + DELAY, data or None))
            if not data:
                break
    except OSError:
        queue.put_nowait((loop.time(), None))
    await sender


async def handle(client_reader, client_writer):
    global accepted
    accepted += 1
    if DROP == "odd" and accepted % 2 == 1:
        print("dropped", file=sys.stderr, flush=True)
        client_writer.close()
        return
    try:
        server_reader, server_writer = await asyncio.open_connection(TARGET_HOST, int(TARGET_PORT))
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer),
                         return_exceptions=True)
    for writer in (client_writer, server_writer):
        try:
            writer.close()
        except OSError:
            pass


async def main():
    server = await asyncio.start_server(handle, LISTEN_HOST, int(LISTEN_PORT), reuse_address=True)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
