import { Module } from '@nestjs/common';
import { ProfilesModule } from '@audiencekit/profiles';
import { ProfilesController } from './profiles.controller';

/** GET /profiles/lookup, /profiles/:id, /profiles/:id/events, /profiles/:id/explain (libs/profiles does the work). */
@Module({ imports: [ProfilesModule], controllers: [ProfilesController] })
export class ProfilesHttpModule {}
