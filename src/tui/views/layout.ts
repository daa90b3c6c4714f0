/**
 * How the screen is cut. The UI is at most rows - 1 lines tall so that Ink
 * never falls back to clearing the whole screen (which is what flickers).
 */
export interface Layout {
  width: number;
  height: number;
  /** Between the two header lines and the status and footer lines. */
  body: number;
  jailH: number;
  banH: number;
  logH: number;
  /** Tail lines shown (the log pane minus its title). */
  logVisible: number;
  sparkW: number;
}

export function layout(cols: number, rows: number, jails: number): Layout {
  const width = Math.max(40, cols);
  const height = Math.max(10, rows - 1);
  const body = height - 4;
  const jailH = Math.min(jails + 2, Math.max(3, Math.floor(body / 3)));
  const banH = Math.max(3, Math.floor((body - jailH) / 2) + 1);
  const logH = Math.max(2, body - jailH - banH);
  return { width, height, body, jailH, banH, logH, logVisible: logH - 1, sparkW: Math.max(8, width - 66) };
}

/** The first row to draw so that the selected one stays in view, centred when it can be. */
export function windowStart(selected: number, count: number, visible: number): number {
  return Math.max(0, Math.min(selected - Math.floor(visible / 2), count - visible));
}
