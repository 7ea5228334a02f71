"""The GIL is released while the driver waits on the network; connections in threads."""

import threading
import time

from conftest import create_table, scalar


def test_gil_released_during_query(conn):
    stop = threading.Event()
    count = [0]

    def spin():
        while not stop.is_set():
            count[0] += 1

    t = threading.Thread(target=spin)
    t.start()
    try:
        time.sleep(0.05)
        before = count[0]
        assert scalar(conn, "SELECT SLEEP(1)") == 0
        during_text = count[0] - before
        before = count[0]
        assert scalar(conn, "SELECT SLEEP(%s)", (1,)) == 0
        during_prepared = count[0] - before
    finally:
        stop.set()
        t.join()
    # A thread that held the GIL for the whole second would leave the counter near 0; with the
    # GIL released it runs millions of iterations. 10000 is a generous floor.
    assert during_text > 10000, during_text
    assert during_prepared > 10000, during_prepared


def test_parallel_sleeps_overlap(connect):
    conns = [connect() for _ in range(3)]
    errors = []

    def run(c):
        try:
            assert scalar(c, "SELECT SLEEP(1)") == 0
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(c,)) for c in conns]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    assert not errors, errors
    assert elapsed < 2.5, f"3 x SLEEP(1) in 3 threads took {elapsed:.2f}s: serialised?"


def test_threads_with_own_connections(connect):
    setup = connect(autocommit=True)
    create_table(setup, "t", "id INT PRIMARY KEY, th INT")
    errors = []

    def work(k):
        try:
            c = connect(autocommit=True)
            cur = c.cursor()
            for i in range(50):
                cur.execute("INSERT INTO t VALUES (%s, %s)", (k * 1000 + i, k))
                cur.execute("SELECT th FROM t WHERE id = %s", (k * 1000 + i,))
                assert cur.fetchone() == (k,)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert scalar(setup, "SELECT COUNT(*) FROM t") == 300
