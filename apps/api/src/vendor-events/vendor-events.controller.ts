import { Controller, Get, Headers, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { APP_CONFIG, AppConfig, ApiRoute, Public, RequireRole } from '@audiencekit/server-core';
import { VendorEventsService } from '@audiencekit/vendor-events';
import type { VendorEventsRequest } from './vendor-events-body.middleware';

const resultSchema = z.object({
  stored: z.number().int(),
  duplicates: z.number().int(),
  unmatched: z.number().int(),
  ignored: z.number().int(),
  suppressed: z.number().int(),
  lifted: z.number().int(),
});

/** What SendGrid posts (Event Webhook Reference): an array of events; the fields read here, others kept out. */
const sendgridEventsBody = z.array(
  z.looseObject({
    email: z.string(),
    timestamp: z.number().int().describe('Unix seconds'),
    event: z
      .string()
      .describe(
        'delivered, open, click, bounce, dropped, deferred, spamreport, unsubscribe, group_unsubscribe are recorded; others ignored',
      ),
    sg_event_id: z.string().describe('unique per event: the dedupe key'),
    sg_message_id: z.string().optional(),
    ak_delivery_key: z.string().optional().describe('custom arg the sendgrid-email connector sets'),
  }),
);

/** What Twilio posts (form-encoded): the parameters read here; every parameter is covered by the signature. */
const twilioForm = z.looseObject({
  MessageSid: z.string(),
  AccountSid: z.string(),
  From: z.string(),
  To: z.string(),
  MessageStatus: z.string().optional().describe('status callbacks: queued, sent, delivered, undelivered, failed, read'),
  ErrorCode: z.string().optional(),
  Body: z
    .string()
    .optional()
    .describe('incoming messages: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT opt out; START, YES, UNSTOP opt in'),
  OptOutType: z.string().optional().describe('Advanced Opt-Out: STOP, START or HELP'),
});

/** Twilio expects TwiML back; an empty Response sends no reply and does nothing. */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

/**
 * The vendors' callbacks (issue #22). Public (no API key): each request is authenticated by the
 * vendor's signature, checked in libs/vendor-events before anything is read or stored. Bodies are
 * read raw by `vendorEventsBodyReader` (create-api-app.ts). Paths carry the connector slug and the
 * destination id, so each destination verifies with its own key or token.
 */
@Controller('v1/vendor-events')
@Public()
export class VendorEventsController {
  constructor(
    private readonly vendorEvents: VendorEventsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('sendgrid-email/:destinationId')
  @HttpCode(200)
  @ApiRoute({
    summary:
      'SendGrid Signed Event Webhook for a sendgrid-email destination (ECDSA signature over timestamp + body, verified with settings.eventWebhookPublicKey; 401 bad/missing/stale signature, 400 not a JSON array of events)',
    body: sendgridEventsBody,
    response: resultSchema,
    tags: ['vendor-events'],
  })
  sendgrid(
    @Param('destinationId') destinationId: string,
    @Req() request: VendorEventsRequest,
    @Headers('x-twilio-email-event-webhook-signature') signature?: string,
    @Headers('x-twilio-email-event-webhook-timestamp') timestamp?: string,
  ) {
    return this.vendorEvents.sendgrid(destinationId, { signature, timestamp }, request.rawBody ?? Buffer.alloc(0));
  }

  @Post('twilio/:destinationId/status')
  @ApiRoute({
    summary: 'Twilio message status callback (X-Twilio-Signature verified with the auth token); answers empty TwiML',
    body: twilioForm,
    bodyContentType: 'application/x-www-form-urlencoded',
    tags: ['vendor-events'],
  })
  async twilioStatus(@Param('destinationId') destinationId: string, @Req() request: Request, @Res() response: Response) {
    await this.vendorEvents.twilio('status', destinationId, request.header('x-twilio-signature'), this.publicUrl(request), rawOf(request));
    response.status(200).type('text/xml').send(EMPTY_TWIML);
  }

  @Post('twilio/:destinationId/inbound')
  @ApiRoute({
    summary: 'Twilio incoming message (STOP and synonyms suppress the sender for sms, START/YES/UNSTOP lift that); answers empty TwiML',
    body: twilioForm,
    bodyContentType: 'application/x-www-form-urlencoded',
    tags: ['vendor-events'],
  })
  async twilioInbound(@Param('destinationId') destinationId: string, @Req() request: Request, @Res() response: Response) {
    await this.vendorEvents.twilio('inbound', destinationId, request.header('x-twilio-signature'), this.publicUrl(request), rawOf(request));
    response.status(200).type('text/xml').send(EMPTY_TWIML);
  }

  /**
   * The URL Twilio called, which its signature covers: AK_PUBLIC_BASE_URL + the path and query as
   * received. Without AK_PUBLIC_BASE_URL, the request's own scheme and Host (right only when
   * nothing rewrites them between Twilio and this process).
   */
  private publicUrl(request: Request): string {
    const base = this.config.AK_PUBLIC_BASE_URL ?? `${request.protocol}://${request.get('host') ?? 'localhost'}`;
    return `${base}${request.originalUrl}`;
  }
}

function rawOf(request: Request): Buffer {
  return (request as unknown as VendorEventsRequest).rawBody ?? Buffer.alloc(0);
}

const callbackUrlsSchema = z.object({
  destinationId: z.string(),
  connector: z.string(),
  publicBaseUrl: z.string().nullable(),
  urls: z.array(z.object({ name: z.string(), url: z.string(), where: z.string() })),
});

/** What to paste at the vendor for a destination (the console's destinations table shows it). */
@Controller('destinations')
export class DestinationCallbackUrlsController {
  constructor(private readonly vendorEvents: VendorEventsService) {}

  @Get(':id/callback-urls')
  @RequireRole('viewer')
  @ApiRoute({
    summary:
      'The vendor-events URLs of a destination (SendGrid Event Webhook, Twilio status and incoming): AK_PUBLIC_BASE_URL + path; paths only while it is unset',
    response: callbackUrlsSchema,
    tags: ['destinations'],
  })
  callbackUrls(@Param('id') id: string) {
    return this.vendorEvents.callbackUrls(id);
  }
}
