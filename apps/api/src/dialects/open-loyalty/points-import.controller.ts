import '@fastify/multipart';
import { Controller, HttpCode, HttpException, Injectable, OnModuleInit, Post, Req } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CurrentStore, RequireScopes } from '@app/auth';
import type { StoreRecord } from '@app/auth';
import { RequestValidationError } from '../../http/validation';
import { PointsImportService } from './points-import.service';
import { XmlDocumentRefused } from './points-import.xml';
import { IdempotentCommands, uploadedCommand } from '../../http/command-context';

/** 100,000 items take about 20 MB; this leaves room and still bounds the temp file. */
export const MAX_IMPORT_BYTES = 256 * 1024 * 1024;
const FILE_FIELD = 'file[file]';

/**
 * Registers @fastify/multipart on the app's Fastify instance while the module starts, before
 * the server is ready, so the import route can stream uploads without app.ts knowing about it.
 */
@Injectable()
export class MultipartRegistration implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  async onModuleInit(): Promise<void> {
    const instance = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!instance || typeof instance.register !== 'function' || instance.hasContentTypeParser('multipart/form-data')) return;
    await instance.register(multipart, { limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 10, parts: 11 } });
  }
}

class ImportObject {
  @ApiProperty() pointsTransferId!: string;
}
class ImportProcessResult {
  @ApiProperty({ type: ImportObject }) object!: ImportObject;
}
class ImportItemView {
  @ApiProperty({ enum: ['success', 'failed'] }) status!: string;
  @ApiPropertyOptional({ type: ImportProcessResult, description: 'successful items' }) processImportResult?: ImportProcessResult;
  @ApiProperty({ example: '11000000-0000-474c-b092-b0dd880c07e2/(adding 15)' }) identifier!: string;
  @ApiPropertyOptional({ description: 'failed items: why' }) message?: string;
}
export class ImportResponse {
  @ApiProperty({ type: [ImportItemView] }) items!: ImportItemView[];
  @ApiProperty() totalProcessed!: number;
  @ApiProperty() totalSuccess!: number;
  @ApiProperty() totalFailed!: number;
}

/** Open Loyalty's XML import of points transfers. */
@ApiTags('Open Loyalty: points transfers')
@ApiBearerAuth()
@IdempotentCommands()
@Controller('api/:storeCode/points/transfer')
export class PointsImportController {
  constructor(private readonly imports: PointsImportService) {}

  @Post('import')
  @HttpCode(200)
  @RequireScopes('points:write')
  @ApiOperation({
    summary: 'Import points transfers from XML',
    description:
      '<pointsTransfers><pointsTransfer><customerId|customerEmail|customerPhoneNumber|customerLoyaltyCardNumber/><points/><type>adding|spending</type>' +
      '<validityDuration>days</validityDuration><comment/></pointsTransfer>...</pointsTransfers>. A bad item is reported and the rest are applied; ' +
      'a malformed document, or one with a DOCTYPE/DTD/entities, is refused with 400 and nothing is written.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: [FILE_FIELD], properties: { [FILE_FIELD]: { type: 'string', format: 'binary', description: 'XML file' } } } })
  @ApiOkResponse({ type: ImportResponse })
  async import(@CurrentStore() store: StoreRecord, @Req() request: FastifyRequest): Promise<unknown> {
    if (typeof request.isMultipart !== 'function' || !request.isMultipart()) {
      throw new RequestValidationError([{ field: FILE_FIELD, message: 'upload the XML file as multipart/form-data in field file[file]' }]);
    }
    const upload = await request.file().catch((error: unknown) => {
      throw new RequestValidationError([{ field: FILE_FIELD, message: `unreadable multipart body: ${(error as Error).message}` }]);
    });
    if (!upload || (upload.fieldname !== FILE_FIELD && upload.fieldname !== 'file')) {
      throw new RequestValidationError([{ field: FILE_FIELD, message: 'is required: an XML file in multipart field file[file]' }]);
    }
    try {
      // the answer streams from a spool file (see ImportResponseBody): 100,000 items are ~17 MB of JSON
      return await this.imports.spoolAndCheck(store, upload.file, async (sha256, apply) => {
        if (upload.file.truncated) throw new TooLarge();
        // keyed: the key is claimed for this file, so another file under the same key is a 409
        return uploadedCommand(sha256, apply);
      });
    } catch (error) {
      if (error instanceof XmlDocumentRefused) throw new RequestValidationError([{ field: FILE_FIELD, message: error.message }]);
      if (error instanceof TooLarge || (error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new TooLarge();
      // busboy's refusals of a broken multipart stream are the client's, not ours
      const status = (error as { statusCode?: number }).statusCode;
      if (typeof status === 'number' && status >= 400 && status < 500) throw new RequestValidationError([{ field: FILE_FIELD, message: (error as Error).message }]);
      throw error;
    }
  }
}

class TooLarge extends HttpException {
  constructor() {
    super({ statusCode: 413, error: 'Payload Too Large', message: `the XML file may be at most ${MAX_IMPORT_BYTES} bytes`, errors: [{ field: FILE_FIELD, message: 'file too large' }] }, 413);
  }
}
