"""Exit with a one-line message when the port for `mkdocs serve` is already taken."""

import socket
import sys


def main() -> int:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            print(
                f"error: port {port} on 127.0.0.1 is in use; "
                "stop that server or run 'make serve PORT=<free port>'"
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
