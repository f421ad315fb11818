"""A real MCP client (the Python `mcp` SDK) driving triage-tui; run by tests/mcp.rs.

    mcp_client.py full  http URL           Streamable HTTP against /mcp
    mcp_client.py full  stdio BIN PORT     `triage-tui mcp --port PORT` (bridges to the running connector)
    mcp_client.py fresh stdio BIN          `triage-tui mcp --port 0` with no connector: it starts one
    mcp_client.py renew stdio BIN PORT     the connector restarts under the bridge
    mcp_client.py e2e   http URL TITLE     against a real page in Chromium (tests/e2e_chromium.rs)

The Rust side plays the browser over the real /extension-ws socket. Lines on stdout tell it
where we are ("PORT n", "OK n"); it answers on stdin ("GO"). Any failed check exits non-zero.
"""

import asyncio
import base64
import json
import os
import sys
import tempfile
import urllib.request

from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import Implementation

CLIENT_NAME = "triage-test"
checks = 0


def check(cond, what, detail=None):
    global checks
    if not cond:
        print(f"FAIL: {what}: {detail!r}", flush=True)
        sys.exit(1)
    checks += 1


def say(line):
    print(line, flush=True)


async def wait_go():
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    check(line.strip() == "GO", "the test said GO", line)


def text_of(result):
    return "".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def data_of(result):
    if result.structured_content is not None:
        return result.structured_content
    return json.loads(text_of(result))


async def call(client, name, args=None, error=False):
    result = await client.call_tool(name, args or {})
    check(bool(result.is_error) == error, f"{name} {args} is_error={error}", text_of(result)[:400])
    return result


async def all_pages(client, tool, args, page_size):
    first = data_of(await call(client, tool, {**args, "page": 0, "page_size": page_size}))
    pages = [first]
    for p in range(1, first["pages"] + 1):
        pages.append(data_of(await call(client, tool, {**args, "page": p, "page_size": page_size})))
    return first["total"], pages


def connector_events(base, query):
    with urllib.request.urlopen(f"{base}/api/events?{query}", timeout=10) as r:
        return json.load(r)["events"]


async def full(client, base):
    names = {t.name for t in (await client.list_tools()).tools}
    for n in [
        "list_console_messages", "get_console_message", "list_network_requests", "get_network_request",
        "list_websocket_frames", "list_sessions", "take_screenshot", "navigate", "reload", "go_back",
        "go_forward", "evaluate_script", "click", "type_text", "browser_action", "clear_logs",
        "get_selected_element", "wait_for", "export_har", "export_console", "getConsoleLogs", "getConsoleErrors", "getNetworkLogs",
        "getNetworkErrors", "takeScreenshot", "getSelectedElement", "wipeLogs",
    ]:
        check(n in names, f"tool {n} listed", sorted(names))

    # Paging: disjoint pages that cover everything, newest last within a page, page 0 the newest.
    total, pages = await all_pages(client, "list_console_messages", {}, 50)
    check(total == 122, "122 console messages", total)
    ids = [r["id"] for p in pages for r in p["rows"]]
    check(len(ids) == total and len(set(ids)) == total, "pages are disjoint and cover everything", len(ids))
    nums = [int(r["id"].split("-")[1]) for r in pages[0]["rows"]]
    check(nums == sorted(nums), "newest last within a page", nums[:5])
    check(pages[-1]["rows"] == [], "a page past the end is empty", pages[-1])
    rows = [r for p in pages for r in p["rows"]]
    long = [r for r in rows if "[cut:" in r["message"]]
    check(len(long) == 1 and "get_console_message" in long[0]["message"], "long message cut with a marker", long)
    whole = data_of(await call(client, "get_console_message", {"id": long[0]["id"]}))
    check(whole["message"] == "x" * 2000, "get_console_message returns it whole", len(whole["message"]))
    errors = data_of(await call(client, "list_console_messages", {"level": "error"}))
    check(errors["total"] == 1 and "boom" in errors["rows"][0]["message"], "level filter", errors)
    err = data_of(await call(client, "get_console_message", {"id": errors["rows"][0]["id"]}))
    check("at checkout (app.js:10:5)" in json.dumps(err["stack"]), "stack of the error", err)
    flt = data_of(await call(client, "list_console_messages", {"filter": "\"log line 7\" -level:error"}))
    check(flt["total"] == 11, "filter language (log line 7, 70-79)", flt["total"])
    since = data_of(await call(client, "list_console_messages", {"since": pages[0]["rows"][-3]["id"]}))
    check(since["total"] == 2, "since an event id", since["total"])
    bad = await call(client, "list_console_messages", {"filter": "level:loud"}, error=True)
    check(text_of(bad).startswith("INVALID_MESSAGE"), "a bad filter is a tool error", text_of(bad))
    legacy = data_of(await call(client, "getConsoleLogs"))
    check(legacy["total"] == 122 and len(legacy["rows"]) == 50, "getConsoleLogs", legacy["total"])
    legacy = data_of(await call(client, "getConsoleErrors"))
    check(legacy["total"] == 1, "getConsoleErrors", legacy["total"])

    net = data_of(await call(client, "list_network_requests"))
    check(net["total"] == 3, "3 network requests", net)
    post = data_of(await call(client, "list_network_requests", {"filter": "method:POST"}))
    check(post["total"] == 1 and post["rows"][0]["status"] == 500, "network filter", post)
    one = data_of(await call(client, "get_network_request", {"id": post["rows"][0]["id"], "include_bodies": True}))
    check(one["bodies"]["responseBody"]["text"] == "{\"error\":\"out of stock\"}", "bodies included", one["bodies"])
    check(one["requestHeaders"] is not None or one["headers"] is not None, "headers", one)
    nobody = data_of(await call(client, "get_network_request", {"id": post["rows"][0]["id"]}))
    check("include_bodies" in json.dumps(nobody["bodies"]), "bodies left out by default", nobody["bodies"])
    check(data_of(await call(client, "getNetworkLogs"))["total"] == 3, "getNetworkLogs")
    check(data_of(await call(client, "getNetworkErrors"))["total"] == 2, "getNetworkErrors (500 + failed)")
    missing = await call(client, "get_network_request", {"id": "evt-999999"}, error=True)
    check("list_network_requests" in text_of(missing), "unknown id says what to do", text_of(missing))

    # export_har writes a HAR file under the data dir and returns its path, not the HAR itself.
    har = data_of(await call(client, "export_har"))
    check(har["path"].endswith(".har") and os.sep + "exports" + os.sep in har["path"], "export_har names its file", har)
    with open(har["path"]) as f:
        doc = json.load(f)
    check(doc["log"]["version"] == "1.2" and len(doc["log"]["entries"]) == har["entries"] >= 3, "a HAR 1.2 of every request", har)
    posted = data_of(await call(client, "export_har", {"filter": "method:POST", "file_name": "orders"}))
    check(posted["path"].endswith(os.sep + "orders.har") and posted["entries"] == 1, "filter and file_name", posted)
    with open(posted["path"]) as f:
        entry = json.load(f)["log"]["entries"][0]
    check(entry["request"]["method"] == "POST" and entry["response"]["status"] == 500, "the filtered entry", entry)
    bad = await call(client, "export_har", {"file_name": "../escape"}, error=True)
    check("bare name" in text_of(bad), "a path is refused as a file name", text_of(bad))
    bad = await call(client, "export_har", {"filter": "status:loud"}, error=True)
    check(text_of(bad).startswith("INVALID_MESSAGE"), "a bad filter is a tool error", text_of(bad))

    # export_console: the same filter language, NDJSON by default or text, a file under exports/.
    # (The Console pane also shows this client's own calls, so the filter text appears there too.)
    flt = "\"log line 7\" -level:error"
    nd = data_of(await call(client, "export_console", {"filter": flt}))
    check(nd["path"].endswith(".ndjson") and os.sep + "exports" + os.sep in nd["path"], "export_console ndjson", nd)
    with open(nd["path"]) as f:
        rows = [json.loads(line) for line in f]
    logs = [r for r in rows if r["type"] != "assistant-command"]
    check(len(rows) == nd["messages"] and len(logs) == 11, "one envelope a line", rows[:2])
    check(all("log line 7" in r["data"]["message"] for r in logs), "the filtered messages", logs[:2])
    txt = data_of(await call(client, "export_console", {"filter": flt, "format": "text", "file_name": "console"}))
    check(txt["path"].endswith(os.sep + "console.txt") and txt["messages"] == nd["messages"] + 1, "export_console text", txt)
    with open(txt["path"]) as f:
        lines = f.read().splitlines()
    check(len(lines) == txt["messages"] and all(l[:4].isdigit() and "Z  " in l for l in lines), "a line per message", lines[:2])
    check(sum("log line 7" in l and "  log  " in l for l in lines) == 11, "the rows' level and text", lines)
    bad = await call(client, "export_console", {"format": "xml"}, error=True)
    check("ndjson or text" in text_of(bad), "a bad format is a tool error", text_of(bad))

    frames = data_of(await call(client, "list_websocket_frames"))
    check(frames["total"] == 2 and frames["rows"][0]["data"] == "{\"op\":\"hello\"}", "page frames", frames)

    sessions = data_of(await call(client, "list_sessions"))
    kinds = {(s["kind"], s["title"] if s["kind"] == "mcp" else s["tab"]) for s in sessions["sessions"]}
    check(("browser", "tab-a") in kinds, "the browser is listed", kinds)
    check(("mcp", CLIENT_NAME) in kinds, "this MCP client is listed under its initialize name", kinds)

    for tool in ["take_screenshot", "takeScreenshot"]:
        shot = await call(client, tool)
        images = [c for c in shot.content if c.type == "image"]
        check(len(images) == 1 and images[0].mime_type == "image/png", f"{tool} returns an image", shot.content)
        png = base64.b64decode(images[0].data)
        check(png.startswith(b"\x89PNG\r\n\x1a\n"), "the image decodes as a PNG", png[:8])
        check(os.path.isfile(data_of(shot)["path"]), "and names its file", data_of(shot))

    value = data_of(await call(client, "evaluate_script", {"script": "1 + 2"}))
    check(value["result"] == 3, "evaluate_script returns the browser's answer", value)
    thrown = await call(client, "evaluate_script", {"script": "throw new Error('boom')"}, error=True)
    check("the script threw: Error: boom" in text_of(thrown), "and its thrown error", text_of(thrown))
    await call(client, "navigate", {"url": "https://tab-a.test/next"})
    await call(client, "reload", {"ignore_cache": True})
    await call(client, "go_back")
    await call(client, "go_forward")
    await call(client, "click", {"selector": "#buy"})
    await call(client, "type_text", {"selector": "#q", "text": "shoes"})
    await call(client, "browser_action", {"action": "scroll_by", "params": {"y": 400}})
    nope = await call(client, "take_screenshot", {"session": "ext-nope"}, error=True)
    check(text_of(nope).startswith("INVALID_SESSION") and "list_sessions" in text_of(nope), "unknown session", text_of(nope))

    el = data_of(await call(client, "get_selected_element"))
    check(el["element"]["tagName"] == "BUTTON", "selected element", el)
    check(data_of(await call(client, "getSelectedElement"))["element"]["id"] == "buy", "getSelectedElement")

    # wait_for: the browser sends the checkout request only once it sees this call waiting.
    got = data_of(await call(client, "wait_for", {"filter": "method:POST url:/api/checkout", "kind": "network", "timeout_ms": 20000}))
    check(got["matched"] and "/api/checkout" in got["event"]["url"], "wait_for returns the event sent after the call", got)
    late = data_of(await call(client, "wait_for", {"filter": "never-sent-marker", "timeout_ms": 300}))
    check(late["matched"] is False and late["timedOut"] is True, "wait_for times out with a result", late)

    # The human sees every call: each is an assistant-command row, not a console message.
    rows = connector_events(base, "type=assistant-command&limit=100000")
    tools = {r["data"]["tool"] for r in rows if r["data"]["client"] == CLIENT_NAME}
    for t in ["take_screenshot", "evaluate_script", "list_console_messages", "navigate", "wait_for"]:
        check(t in tools, f"the Console shows {t}", sorted(tools))
    check(any(r["data"]["phase"] == "waiting" for r in rows), "a waiting row for wait_for")
    check(data_of(await call(client, "list_console_messages"))["total"] == 122, "assistant rows are not console messages")

    cleared = data_of(await call(client, "clear_logs"))
    check(cleared["cleared"], "clear_logs", cleared)
    check(data_of(await call(client, "list_console_messages"))["total"] == 0, "logs cleared")
    await call(client, "wipeLogs")


async def fresh(client):
    err = await call(client, "take_screenshot", error=True)
    check(text_of(err).startswith("NO_BROWSER") and "extension" in text_of(err), "NO_BROWSER says what to do", text_of(err))
    say("READY")
    await wait_go()
    sessions = data_of(await call(client, "list_sessions"))
    check(sessions["browsers"] == 1, "the browser reached the connector this process started", sessions)
    value = data_of(await call(client, "evaluate_script", {"script": "6 * 7"}))
    check(value["result"] == 42, "and answers commands", value)


async def renew(client):
    """The connector restarts under the bridge: the next call still works (a new HTTP session)."""
    before = data_of(await call(client, "list_sessions"))
    check(any(s["title"] == CLIENT_NAME for s in before["sessions"]), "listed before the restart", before)
    say("RESTART")
    await wait_go()
    after = data_of(await call(client, "list_sessions"))
    check(any(s["title"] == CLIENT_NAME for s in after["sessions"]), "listed again after the restart", after)


async def e2e(client):
    """A real page: logs, a screenshot and evaluate_script, through the real extension."""
    logs = data_of(await call(client, "list_console_messages", {"filter": "\"triage-e2e log\""}))
    check(logs["total"] >= 1, "the page's console.log reached MCP", logs)
    errors = data_of(await call(client, "getConsoleErrors"))
    check(any("uncaught boom" in r["message"] for r in errors["rows"]), "the uncaught error too", errors)
    shot = await call(client, "take_screenshot")
    images = [c for c in shot.content if c.type == "image"]
    check(images and base64.b64decode(images[0].data)[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0"), "a real screenshot", shot.content[:1])
    value = data_of(await call(client, "evaluate_script", {"script": "document.title"}))
    check(value["result"] == sys.argv[4], "evaluate_script in the real page", value)


async def main():
    scenario, transport = sys.argv[1], sys.argv[2]
    info = Implementation(name=CLIENT_NAME, version="1.0")
    errlog = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    if transport == "http":
        target, base = sys.argv[3], sys.argv[3].rsplit("/mcp", 1)[0]
    else:
        port = sys.argv[4] if len(sys.argv) > 4 else "0"
        env = {k: v for k, v in os.environ.items() if k.startswith("TRIAGE_")}
        target = StdioServerParameters(command=sys.argv[3], args=["mcp", "--port", port], env=env)
        base = f"http://127.0.0.1:{port}"
    # Both handshakes: the legacy initialize (its name is what the Sessions pane shows) and 2026's discover.
    mode = os.environ.get("MCP_MODE", "legacy")
    if transport == "http":
        ctx = Client(target, mode=mode, client_info=info)
    else:
        # A Transport of our own only to keep stderr, where `triage-tui mcp` says its port.
        ctx = Client(stdio_client(target, errlog=errlog), mode=mode, client_info=info)
    async with ctx as client:
        if scenario == "fresh":
            errlog.flush()
            line = open(errlog.name).read()
            check("started a connector at http://" in line, "triage-tui mcp says where it listens", line)
            say("PORT " + line.split("http://127.0.0.1:")[1].split(" ")[0].strip("() \n"))
            await fresh(client)
        elif scenario == "full":
            await full(client, base)
        elif scenario == "renew":
            await renew(client)
        else:
            await e2e(client)
    say(f"OK {checks}")


if __name__ == "__main__":
    asyncio.run(main())
