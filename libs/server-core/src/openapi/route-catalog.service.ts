import { Injectable, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { REQUIRED_ROLE, RouteAccess } from '../auth/auth.decorators';
import { API_ROUTE, ApiRouteSpec } from './api-route.decorator';

export interface RouteDescriptor {
  method: string;
  /** Express-style path, e.g. `/segments/:id/runs`. */
  path: string;
  access: RouteAccess | undefined;
  spec: ApiRouteSpec | undefined;
  handler: string;
}

/**
 * Every HTTP route of the running app with its declared access and API spec, read from the same
 * decorators Nest routes with. Feeds the OpenAPI document and the test that walks every route.
 */
@Injectable()
export class RouteCatalog {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  routes(): RouteDescriptor[] {
    const routes: RouteDescriptor[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || !wrapper.metatype) continue;
      const prefixes = asArray(Reflect.getMetadata(PATH_METADATA, wrapper.metatype));
      const prototype = Object.getPrototypeOf(instance);
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name];
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const access = this.reflector.getAllAndOverride<RouteAccess | undefined>(REQUIRED_ROLE, [handler, wrapper.metatype]);
        const spec = this.reflector.get<ApiRouteSpec | undefined>(API_ROUTE, handler);
        for (const prefix of prefixes) {
          for (const suffix of asArray(Reflect.getMetadata(PATH_METADATA, handler))) {
            routes.push({
              method: RequestMethod[method],
              path: joinPath(prefix, suffix),
              access,
              spec,
              handler: `${wrapper.metatype.name}.${name}`,
            });
          }
        }
      }
    }
    return routes.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  }
}

function asArray(value: unknown): string[] {
  if (value === undefined) return ['/'];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

function joinPath(prefix: string, suffix: string): string {
  const joined = `/${prefix}/${suffix}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}
