/**
 * A tiny stand-in for the push server, for listen tests that need to
 * control exactly what the stream carries (hostile events, cut streams):
 * `POST /push/send.php` stores a frame's data, `GET
 * /v1/channels/{channel}/events` replays (`Last-Event-ID`, `?since=`) and
 * streams live. `inject` adds an event with any payload.
 */
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeEvent {
  readonly id: number;
  readonly time: number;
  readonly channel: string;
  readonly payload: string;
}

export class FakePushServer {
  readonly events: FakeEvent[] = [];
  readonly requests: { url: string; lastEventId: string | undefined }[] = [];
  #subscribers = new Set<{ channel: string; res: ServerResponse }>();
  #server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method === "POST" && url.pathname === "/push/send.php") {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c: string) => {
        body += c;
      });
      req.on("end", () => {
        const frame = JSON.parse(new URLSearchParams(body).get("data") ?? "{}") as { channel: string; data: string };
        this.inject(frame.channel, frame.data);
        res.writeHead(200, { "content-type": "application/json" }).end('{"Code": 0}');
      });
      return;
    }
    const match = /^\/v1\/channels\/([^/]+)\/events$/.exec(url.pathname);
    if (req.method !== "GET" || !match) {
      res.writeHead(404).end();
      return;
    }
    const channel = decodeURIComponent(match[1]!);
    const lastEventId = req.headers["last-event-id"] as string | undefined;
    this.requests.push({ url: req.url ?? "", lastEventId });
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
    const since = url.searchParams.get("since");
    let replay: FakeEvent[] = [];
    if (lastEventId !== undefined) replay = this.events.filter((e) => e.channel === channel && e.id > Number(lastEventId));
    else if (since === "all") replay = this.events.filter((e) => e.channel === channel);
    else if (since !== null && Number(since) > 1e9) replay = this.events.filter((e) => e.channel === channel && e.time >= Number(since));
    else if (since !== null) replay = this.events.filter((e) => e.channel === channel && e.id > Number(since));
    res.write(": hello\n\n");
    for (const e of replay) res.write(FakePushServer.frame(e));
    const subscriber = { channel, res };
    this.#subscribers.add(subscriber);
    res.on("close", () => this.#subscribers.delete(subscriber));
  });
  port = 0;

  static frame(e: FakeEvent): string {
    return `id: ${e.id}\nevent: message\ndata: ${JSON.stringify({ id: e.id, time: e.time, channel: e.channel, payload: e.payload })}\n\n`;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  async start(port = this.port): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(port, "127.0.0.1", resolve));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  /** Drops every connection and stops listening (a crash, as far as subscribers can tell). */
  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  inject(channel: string, payload: string): FakeEvent {
    const event = { id: this.events.length + 1, time: Math.floor(Date.now() / 1000), channel, payload };
    this.events.push(event);
    for (const s of this.#subscribers) if (s.channel === channel) s.res.write(FakePushServer.frame(event));
    return event;
  }
}
