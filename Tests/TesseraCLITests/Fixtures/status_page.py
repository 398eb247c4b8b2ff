"""Loads Tessera's status page in a real headless Chromium over the DevTools protocol.

Usage: status_page.py CHROMIUM URL SCREENSHOT.png TILE [TILE...]

Opens URL (its fragment carries the key), collects every uncaught script exception and
console.error, waits until the map shows every TILE (z/x/y) as a <rect data-tile>, then
writes a screenshot and prints one JSON object: exceptions, the tiles found, the rows of
the tables, and whether the wait timed out. Exits 0 whatever it found: the caller asserts.
"""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


def main():
    chromium, url, screenshot, *tiles = sys.argv[1:]
    profile = tempfile.mkdtemp(prefix="tessera-chromium-")
    browser = subprocess.Popen(
        [
            chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--no-default-browser-check", "--remote-debugging-port=0",
            "--user-data-dir=" + profile, "--window-size=1400,900", "about:blank",
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        port = None
        deadline = time.time() + 60
        while time.time() < deadline and port is None:
            line = browser.stderr.readline()
            if not line and browser.poll() is not None:
                raise SystemExit("chromium exited: %s" % browser.returncode)
            m = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if m:
                port = int(m.group(1))
        if port is None:
            raise SystemExit("chromium did not open its DevTools port")
        pages = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port))
        page = next(p for p in pages if p.get("type") == "page")
        ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        counter = [0]
        exceptions = []

        def handle(event):
            method = event.get("method")
            params = event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                exceptions.append(details.get("exception", {}).get("description") or details.get("text"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                exceptions.append(" ".join(str(a.get("value", a.get("description"))) for a in params.get("args", [])))

        def call(method, **params):
            counter[0] += 1
            ident = counter[0]
            ws.send(json.dumps({"id": ident, "method": method, "params": params}))
            while True:
                message = json.loads(ws.recv())
                if message.get("id") == ident:
                    if "error" in message:
                        raise RuntimeError("%s: %s" % (method, message["error"]))
                    return message.get("result", {})
                handle(message)

        call("Runtime.enable")
        call("Page.enable")
        call("Page.navigate", url=url)
        probe = (
            "JSON.stringify({tiles: [...document.querySelectorAll('rect.tile')].map(r => r.dataset.tile),"
            " loaded: Number(document.body.dataset.loaded || 0),"
            " tables: [...document.querySelectorAll('#tables tbody tr')].map(r => r.dataset.table),"
            " subscriptions: [...document.querySelectorAll('#subscriptions tbody tr')].map(r =>"
            " [...r.cells].map(c => c.textContent)),"
            " error: document.getElementById('error').textContent})"
        )
        state = {}
        timed_out = True
        deadline = time.time() + 45
        while time.time() < deadline:
            result = call("Runtime.evaluate", expression=probe, returnByValue=True)
            state = json.loads(result.get("result", {}).get("value") or "{}")
            if state.get("loaded", 0) >= 1 and set(tiles) <= set(state.get("tiles", [])):
                timed_out = False
                break
            time.sleep(0.25)
        # One more refresh cycle, so that an error thrown by a later poll is seen too.
        end = time.time() + 2.5
        while time.time() < end:
            call("Runtime.evaluate", expression="1", returnByValue=True)
            time.sleep(0.25)
        shot = call("Page.captureScreenshot", format="png")
        with open(screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        ws.close()
        print(json.dumps({"exceptions": exceptions, "timed_out": timed_out, **state}))
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
