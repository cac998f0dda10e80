import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '../auth/auth.decorators';
import { ApiRoute } from './api-route.decorator';
import { buildOpenApiDocument } from './openapi-document';
import { RouteCatalog } from './route-catalog.service';

// Swagger UI's assets are served from the swagger-ui-dist package (see create-api-app), so the
// page works with no network.
const SWAGGER_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>audiencekit API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-init.js"></script>
</body></html>`;

// A file rather than an inline script: the Content-Security-Policy allows scripts from 'self' only.
const SWAGGER_INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', validatorUrl: null });\n`;

@Controller()
@Public()
export class OpenApiController {
  private document?: Record<string, unknown>;

  constructor(private readonly catalog: RouteCatalog) {}

  @Get('openapi.json')
  @ApiRoute({ summary: 'This API as an OpenAPI 3.0 document', tags: ['docs'] })
  openApi(): Record<string, unknown> {
    this.document ??= buildOpenApiDocument(this.catalog.routes(), { title: 'audiencekit', version: '0.1.0' });
    return this.document;
  }

  @Get('docs')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @ApiRoute({ summary: 'Swagger UI over /openapi.json', tags: ['docs'] })
  docs(): string {
    return SWAGGER_PAGE;
  }

  @Get('docs/swagger-init.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @ApiRoute({ summary: 'The script that starts Swagger UI on /docs', tags: ['docs'] })
  swaggerInit(): string {
    return SWAGGER_INIT;
  }
}
