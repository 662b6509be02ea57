import { useLayoutEffect, useRef } from 'preact/hooks';

/** Where focus may go: an element (e.g. the button that opened a panel) or a selector looked up when needed. */
export type FocusTarget = HTMLElement | string | null | undefined;

/** Focus fell out of the popup's controls: onto <body> (the element that had it was removed) or nowhere. */
export function focusIsLost(doc: Document = document): boolean {
  const active = doc.activeElement;
  return active === null || active === doc.body || !active.isConnected;
}

/** The element that has focus now, if it is one of the popup's (to give focus back to it later). */
export function focusedElement(doc: Document = document): HTMLElement | null {
  const active = doc.activeElement;
  return active instanceof HTMLElement && active !== doc.body ? active : null;
}

/** Focuses the first target that is in the page, shown and enabled; returns whether one took focus. */
export function focusFirst(targets: readonly FocusTarget[], doc: Document = document): boolean {
  for (const target of targets) {
    const element = typeof target === 'string' ? doc.querySelector<HTMLElement>(target) : target;
    if (!element || !element.isConnected || element.getClientRects().length === 0) continue;
    if ((element as HTMLButtonElement).disabled) continue;
    element.focus();
    if (doc.activeElement === element) return true;
  }
  return false;
}

/**
 * Keeps focus in the popup when a render takes it from the element that had it: removes it (a
 * dismissed notice, a closed panel, an unpaired pairing's card) or disables it for a moment (a
 * button while its command runs). After each render of the calling component, if focus fell to
 * <body> that way, it goes back to that element once it can take it again, or, once the element is
 * gone, to the first of `targets()` that can. Focus the user dropped by clicking an empty spot is
 * left there, and so is focus lost from inside `ignoreWithin` (a part that looks after its own).
 */
export function useFocusKeeper(targets: () => readonly FocusTarget[], ignoreWithin?: string): void {
  /** The element that last had focus, unless a click since may have moved it on purpose. */
  const last = useRef<{ element: HTMLElement; ignored: boolean } | null>(null);
  const remember = (element: EventTarget | null) => {
    if (element instanceof HTMLElement && element !== document.body) {
      last.current = { element, ignored: ignoreWithin !== undefined && element.closest(ignoreWithin) !== null };
    }
  };
  useLayoutEffect(() => {
    const onFocusIn = (event: FocusEvent) => remember(event.target);
    // Before the focus moves: a click elsewhere may drop focus on purpose (one on a control is followed by
    // its focusin, one on an empty spot by none); a click on the control that has focus changes nothing.
    const onPointerDown = (event: PointerEvent) => {
      const active = document.activeElement;
      if (!(active && event.target instanceof Node && active.contains(event.target))) last.current = null;
    };
    document.addEventListener('focusin', onFocusIn);
    document.addEventListener('pointerdown', onPointerDown, true);
    return () => {
      document.removeEventListener('focusin', onFocusIn);
      document.removeEventListener('pointerdown', onPointerDown, true);
    };
  }, [ignoreWithin]);
  // No dependencies: it looks after every render (and notes where focus is, should a focusin have gone unseen).
  useLayoutEffect(() => {
    const previous = last.current;
    if (focusIsLost() && previous && !previous.ignored) {
      // Still there: back to it once it is enabled and shown again; gone: to the first target that can take it.
      focusFirst(previous.element.isConnected ? [previous.element] : targets());
    }
    if (!focusIsLost()) remember(document.activeElement);
  });
}
