import { Module } from '@nestjs/common';
import { QuizzesModule } from '@audiencekit/segments-service';
import { TrackingHttpModule } from '../tracking/tracking-http.module';
import { QuizClientController, QuizzesController } from './quizzes.controller';

/**
 * /quizzes (admin: define and version quizzes) and /v1/quizzes (clients, with a write key: read,
 * answer). The tracking module lends its `ContextEnricher` (one geolocation database in memory).
 */
@Module({ imports: [QuizzesModule, TrackingHttpModule], controllers: [QuizzesController, QuizClientController] })
export class QuizzesHttpModule {}

/** The answers route takes a write key before its body is read, like the tracking routes (create-api-app.ts). */
export const QUIZ_ANSWERS_PATH = /^\/v1\/quizzes\/[^/]+\/answers$/;
