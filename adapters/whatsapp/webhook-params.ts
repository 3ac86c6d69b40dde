/**
 * What Twilio's webhooks post, as robosre reads it: the form fields robosre
 * uses, each required where Twilio always sends it and bounded, so a signed
 * but odd request is a precise 400 rather than an empty SID that matches
 * any delivery, or a 70 KB one stored in the handled-requests table.
 */
import { z } from 'zod';

/** A form body's fields; a repeated key keeps every value, as Twilio signs them. */
export type FormParams = Record<string, string | string[]>;

export function formParams(body: string): FormParams {
  const params: FormParams = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const seen = params[key];
    params[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return params;
}

/** Message SIDs: SM (or MM with media) and 32 hex digits. */
const messageSid = z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/, 'a Twilio message SID (SM or MM and 32 hex digits)');

export const inboundSchema = z.object({
  MessageSid: messageSid,
  From: z.string().regex(/^whatsapp:\+[1-9]\d{6,14}$/, 'a WhatsApp sender such as whatsapp:+15551234567'),
  // WhatsApp messages are at most 4096 characters.
  Body: z.string().max(4096).optional(),
  ButtonPayload: z.string().max(4096).optional(),
  ProfileName: z.string().max(256).optional(),
});

/** The statuses Twilio reports for a message. */
const MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'failed', 'delivered', 'undelivered', 'receiving', 'received', 'accepted', 'scheduled', 'read', 'canceled'] as const;

export const statusSchema = z.object({
  MessageSid: messageSid,
  MessageStatus: z.enum(MESSAGE_STATUSES),
  ErrorCode: z.string().regex(/^\d{1,6}$/, 'a Twilio error code').optional(),
});
