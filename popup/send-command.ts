import browser from 'webextension-polyfill';
import type { PopupCommand } from '../src/protocol/popup';
import { backgroundUnavailable, interpretReply, type CommandOutcome } from './command-reply';

export async function sendCommand(command: PopupCommand): Promise<CommandOutcome> {
  let reply: unknown;
  try {
    reply = await browser.runtime.sendMessage(command);
  } catch {
    return backgroundUnavailable;
  }
  return interpretReply(reply);
}
