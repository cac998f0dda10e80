import { Module } from '@nestjs/common';
import { ProfileExplainService } from './profile-explain.service';
import { ProfilesService } from './profiles.service';

/** Profile lookup, detail and explain. Needs the global DatabaseModule. */
@Module({ providers: [ProfilesService, ProfileExplainService], exports: [ProfilesService, ProfileExplainService] })
export class ProfilesModule {}
