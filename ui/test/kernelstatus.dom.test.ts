// The kernel's state in the header and its banners, in a real page.
import { assert, domTest } from "./dom";
import { KernelStatusView } from "../src/notebook/kernelstatus";

function fixture() {
  const banners = document.createElement("div");
  document.body.append(banners);
  const calls: string[] = [];
  const view = new KernelStatusView(banners, {
    reconnectNow: () => calls.push("reconnect"),
    restart: () => calls.push("restart"),
    restartDead: () => calls.push("restart-dead"),
  });
  const testids = () => Array.from(banners.children, (b) => b.getAttribute("data-testid"));
  const click = (testid: string) => (banners.querySelector(`[data-testid="${testid}"] button`) as HTMLButtonElement).click();
  return { view, banners, calls, testids, click };
}

function notices(): string[] {
  return Array.from(document.querySelectorAll(".q-notices > *"), (n) => n.textContent ?? "");
}

domTest("the state shows as text, attribute and label", () => {
  const { view } = fixture();
  assert(view.stateEl.getAttribute("data-state") === "starting", "starts as starting");
  view.setState("busy");
  assert(view.stateEl.getAttribute("data-state") === "busy", "data-state");
  assert(view.stateEl.textContent === "Busy", `text ${view.stateEl.textContent}`);
  assert(view.stateEl.getAttribute("aria-label") === "Kernel status: Busy", "label");
  view.noKernel();
  assert(view.stateEl.getAttribute("data-state") === "dead" && view.stateEl.textContent === "No kernel", "no kernel");
});

domTest("a lost connection shows one banner, updated per attempt, gone when back", () => {
  const { view, testids, click, calls, banners } = fixture();
  view.connection(false, { attempt: 1, delay: 1000 });
  view.connection(false, { attempt: 2, delay: 4000 });
  assert(JSON.stringify(testids()) === '["connection-lost"]', `banners ${JSON.stringify(testids())}`);
  const text = banners.textContent ?? "";
  assert(text.includes("Reconnecting in 4 s (attempt 2)"), text);
  click("connection-lost");
  assert(calls.join() === "reconnect", calls.join());
  view.connection(true, {});
  assert(testids().length === 0, "the banner goes when the connection is back");
});

domTest("a connection taken over replaces the lost banner", () => {
  const { view, testids } = fixture();
  view.connection(false, { attempt: 1, delay: 1000 });
  view.connection(false, { replaced: true });
  view.connection(false, { replaced: true });
  assert(JSON.stringify(testids()) === '["connection-replaced"]', `banners ${JSON.stringify(testids())}`);
  assert(notices().some((n) => n.includes("replaced by another tab")), "a notice says so");
  view.connection(true, {});
  assert(testids().length === 0, "gone when back");
});

domTest("an unresponsive kernel's banner goes when it answers again", () => {
  const { view, testids, click, calls } = fixture();
  view.setState("unresponsive");
  view.showUnresponsive("no heartbeat");
  view.showUnresponsive("no heartbeat");
  assert(JSON.stringify(testids()) === '["kernel-unresponsive"]', `one banner: ${JSON.stringify(testids())}`);
  click("kernel-unresponsive");
  assert(calls.join() === "restart", calls.join());
  view.setState("unresponsive");
  assert(testids().length === 1, "still not responding");
  view.setState("idle");
  assert(testids().length === 0, "the banner goes");
  assert(notices().some((n) => n.includes("responding again")), "a notice says so");
});

domTest("a dead kernel gets one banner until hidden", () => {
  const { view, testids, click, calls } = fixture();
  view.showDead();
  view.showDead();
  assert(JSON.stringify(testids()) === '["kernel-dead"]', `banners ${JSON.stringify(testids())}`);
  click("kernel-dead");
  assert(calls.join() === "restart-dead", calls.join());
  view.hideDead();
  assert(testids().length === 0, "hidden");
  view.showDead();
  assert(testids().length === 1, "shown again");
});
