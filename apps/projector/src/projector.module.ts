import { DynamicModule, Module } from '@nestjs/common';
import { EngineModule, EngineModuleOptions } from '@app/engine';

/** The projector process: the engine without HTTP. EngineLifecycle starts what its config asks for. */
@Module({})
export class ProjectorModule {
  static forRoot(options: EngineModuleOptions): DynamicModule {
    return { module: ProjectorModule, imports: [EngineModule.forRoot(options)] };
  }
}
