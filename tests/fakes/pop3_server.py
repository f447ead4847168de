"""A small POP3 server over TLS (RFC 1939) on 127.0.0.1 for the bounce mailbox tests.

USER/PASS, STAT, LIST, UIDL, RETR, DELE, RSET, NOOP, QUIT, CAPA; deletions take effect at
QUIT only, as on a real server, so a session that drops keeps every message.
"""

from __future__ import annotations

import socketserver
import ssl
import threading
from pathlib import Path

from tests.fakes.tls import TestCert


class Pop3Server:
    def __init__(self, cert: TestCert, *, username: str = "bounces", password: str = "s3cret"):
        self.username, self.password = username, password
        self.messages: list[bytes] = []
        self.sessions = 0
        self.lock = threading.Lock()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert.cert_file), str(cert.key_file))
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def setup(self) -> None:
                self.request = context.wrap_socket(self.request, server_side=True)
                super().setup()

            def handle(self) -> None:
                server._session(self)

        self._tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._tcp.daemon_threads = True
        self.port = self._tcp.server_address[1]
        self._thread = threading.Thread(target=self._tcp.serve_forever, daemon=True)

    def start(self) -> Pop3Server:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._tcp.shutdown()
        self._tcp.server_close()

    def add(self, raw: bytes | str | Path) -> None:
        data = raw.read_bytes() if isinstance(raw, Path) else raw
        data = data.encode() if isinstance(data, str) else data
        with self.lock:
            self.messages.append(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))

    def _session(self, conn) -> None:
        def send(line: str | bytes) -> None:
            conn.wfile.write((line.encode() if isinstance(line, str) else line) + b"\r\n")
            conn.wfile.flush()

        with self.lock:
            self.sessions += 1
        send("+OK fake POP3 ready")
        user, authed, deleted = None, False, set()
        while True:
            line = conn.rfile.readline()
            if not line:
                return  # dropped: nothing is deleted
            command, _, arg = line.decode().strip().partition(" ")
            command = command.upper()
            with self.lock:
                box = list(self.messages)
            if command == "CAPA":
                send("+OK")
                send("USER\r\nUIDL\r\n.")
            elif command == "USER":
                user = arg
                send("+OK")
            elif command == "PASS":
                authed = user == self.username and arg == self.password
                send("+OK signed in" if authed else "-ERR [AUTH] invalid credentials")
            elif command == "QUIT":
                with self.lock:
                    self.messages = [m for i, m in enumerate(self.messages) if i + 1 not in deleted]
                send("+OK bye")
                return
            elif not authed:
                send("-ERR sign in first")
            elif command == "STAT":
                live = [m for i, m in enumerate(box) if i + 1 not in deleted]
                send(f"+OK {len(live)} {sum(len(m) for m in live)}")
            elif command in ("LIST", "UIDL"):
                send("+OK")
                for i, m in enumerate(box):
                    if i + 1 not in deleted:
                        send(f"{i + 1} {len(m) if command == 'LIST' else f'uid{i + 1}'}")
                send(".")
            elif command == "RETR" and arg.isdigit() and 0 < int(arg) <= len(box):
                send("+OK")
                for raw_line in box[int(arg) - 1].split(b"\r\n")[:-1]:
                    send(b"." + raw_line if raw_line.startswith(b".") else raw_line)
                send(".")
            elif command == "DELE" and arg.isdigit() and 0 < int(arg) <= len(box):
                deleted.add(int(arg))
                send("+OK deleted")
            elif command == "RSET":
                deleted.clear()
                send("+OK")
            elif command == "NOOP":
                send("+OK")
            else:
                send("-ERR unknown command")
