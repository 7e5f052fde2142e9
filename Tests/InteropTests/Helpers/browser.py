#!/usr/bin/env python3
"""Drives headless Chromium over the DevTools protocol (--remote-debugging-pipe: JSON
messages ending in NUL on fds 3 and 4, no extra package needed) through a list of steps,
so one browser session can sign in and then visit pages as a person would.

  browser.py STEPS_JSON

Steps (a JSON list):
  ["goto", URL]                       navigate
  ["wait", JS_EXPRESSION]             poll until it is truthy (90 s deadline: the CI machine may be busy)
  ["fill", CSS_SELECTOR, TEXT]        set an input's value
  ["click", CSS_SELECTOR]             click an element
  ["dom"]                             record document.documentElement.outerHTML
  ["eval", JS_EXPRESSION]             record the expression's value
  ["screenshot", PATH, WIDTH, HEIGHT] save a PNG at that viewport size
  ["console"]                         record the console messages since the last "console" step

Prints {"results": [...], "error": null or what failed}.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="lifeboat-chromium-")
        to_child_read, self.to_child = os.pipe()
        self.from_child, from_child_write = os.pipe()
        # The child must see our pipe ends as fds 3 (commands in) and 4 (replies out): moved
        # out of the way first (either may be 3 or 4 already), then into place. Popen closes
        # the fds not in pass_fds after preexec_fn, so 3 and 4 are listed there.
        def arrange():
            high_read, high_write = os.dup(to_child_read) + 100, os.dup(from_child_write) + 100
            os.dup2(to_child_read, high_read)
            os.dup2(from_child_write, high_write)
            os.dup2(high_read, 3)
            os.dup2(high_write, 4)
        self.process = subprocess.Popen(
            ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             f"--user-data-dir={self.profile}", "--no-first-run", "about:blank"],
            pass_fds=(3, 4, to_child_read, from_child_write), preexec_fn=arrange,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_read)
        os.close(from_child_write)
        self.buffer = b""
        self.next_id = 0
        self.console = []
        self.session = None
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(domain + ".enable")

    def send(self, method, params, session):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.to_child, json.dumps(message).encode() + b"\0")
        return self.next_id

    def receive(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.from_child, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium went away")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, **params):
        wanted = self.send(method, params, self.session)
        while True:
            message = self.receive()
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.event(message)

    def event(self, message):
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled":
            self.console.append(params["type"] + ": " + " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            self.console.append("exception: " + params["exceptionDetails"].get("exception", {}).get("description", params["exceptionDetails"]["text"]))
        elif method == "Log.entryAdded":
            self.console.append(params["entry"]["level"] + ": " + params["entry"]["text"] + " " + params["entry"].get("url", ""))

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']['text']}")
        return result["result"].get("value")

    def wait(self, expression, seconds=90):
        deadline = time.monotonic() + seconds
        # While a page loads there may be no body yet: that is "not yet", not a failure.
        guarded = f"(() => {{ try {{ return !!({expression}); }} catch (error) {{ return false; }} }})()"
        while time.monotonic() < deadline:
            if self.evaluate(guarded):
                return
            time.sleep(0.05)
        raise RuntimeError(f"still not true after {seconds} s: {expression}; body is {self.evaluate('document.body && document.body.outerHTML')!r:.2000}")

    def close(self):
        self.process.kill()
        self.process.wait()
        subprocess.run(["rm", "-rf", self.profile])


def main(steps):
    browser = Browser()
    results = []
    try:
        for step in steps:
            kind = step[0]
            if kind == "goto":
                browser.call("Page.navigate", url=step[1])
            elif kind == "wait":
                browser.wait(step[1])
            elif kind == "fill":
                browser.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(step[1])}); e.value = {json.dumps(step[2])}; return true; }})()")
            elif kind == "click":
                browser.evaluate(f"document.querySelector({json.dumps(step[1])}).click()")
            elif kind == "dom":
                results.append(browser.evaluate("document.documentElement.outerHTML"))
            elif kind == "eval":
                results.append(browser.evaluate(step[1]))
            elif kind == "screenshot":
                path, width, height = step[1], step[2], step[3]
                browser.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=width < 600)
                data = browser.call("Page.captureScreenshot", format="png")["data"]
                with open(path, "wb") as file:
                    file.write(base64.b64decode(data))
                results.append(path)
            elif kind == "console":
                # Events that arrived after the last reply are read by one more round trip.
                browser.evaluate("1")
                results.append(browser.console)
                browser.console = []
            else:
                raise RuntimeError(f"unknown step {kind}")
        error = None
    except Exception as failure:  # reported to the test, which says what went wrong
        error = str(failure)
    finally:
        browser.close()
    print(json.dumps({"results": results, "error": error}))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
