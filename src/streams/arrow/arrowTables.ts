import { DictionaryBatch as FbDictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import type { Field as FbField } from 'apache-arrow/fb/field';
import { Footer as FbFooter } from 'apache-arrow/fb/footer';
import { Message as FbMessage } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { Schema as FbSchema } from 'apache-arrow/fb/schema';
import { ByteBuffer } from 'flatbuffers';

/** Nested types deeper than this are not data anyone trains on, but a loop in a damaged file. */
const MAX_DEPTH = 64;

/**
 * Why a flatbuffer's tables would make apache-arrow's decoder loop or allocate without bound, or
 * undefined when they are fine: every vector holds no more entries than its bytes could (a
 * damaged length word otherwise makes the decoder build millions of fields), and fields nest at
 * most 64 deep and number no more than the bytes hold (a damaged offset can make them cycle).
 */
function schemaProblem(schema: FbSchema, bytes: number): string | undefined {
  const most = Math.floor(bytes / 4);
  let visited = 0;
  const field = (f: FbField | null, depth: number, where: string): string | undefined => {
    if (!f) return `${where} is missing`;
    if (++visited > most) return `it holds more fields than its ${bytes} bytes can`;
    if (depth > MAX_DEPTH) return `${where} nests more than ${MAX_DEPTH} types deep`;
    if (f.childrenLength() > most || f.customMetadataLength() > most)
      return `${where} lists more children or metadata than its ${bytes} bytes can hold`;
    for (let i = 0; i < f.childrenLength(); i++) {
      const problem = field(f.children(i), depth + 1, `${where}'s child ${i}`);
      if (problem) return problem;
    }
    return undefined;
  };
  if (schema.fieldsLength() > most || schema.customMetadataLength() > most)
    return `the schema lists more fields or metadata than its ${bytes} bytes can hold`;
  for (let i = 0; i < schema.fieldsLength(); i++) {
    const problem = field(schema.fields(i), 1, `column ${i}`);
    if (problem) return problem;
  }
  return undefined;
}

function batchProblem(batch: FbRecordBatch | null, bytes: number): string | undefined {
  if (!batch) return 'the batch header is missing';
  const most = Math.floor(bytes / 16);
  if (batch.nodesLength() > most || batch.buffersLength() > most || batch.variadicBufferCountsLength() > most)
    return `the batch lists more nodes or buffers than its ${bytes} bytes can hold`;
  return undefined;
}

/**
 * Checks a message's flatbuffer before apache-arrow decodes it (see `schemaProblem`): the
 * problem, or undefined.
 *
 * @example
 * const problem = messageProblem(metadataBytes);
 */
export function messageProblem(metadata: Uint8Array): string | undefined {
  try {
    const message = FbMessage.getRootAsMessage(new ByteBuffer(metadata));
    switch (message.headerType()) {
      case MessageHeader.Schema:
        return schemaProblem(message.header(new FbSchema()) as FbSchema, metadata.length);
      case MessageHeader.RecordBatch:
        return batchProblem(message.header(new FbRecordBatch()) as FbRecordBatch | null, metadata.length);
      case MessageHeader.DictionaryBatch:
        return batchProblem((message.header(new FbDictionaryBatch()) as FbDictionaryBatch | null)?.data() ?? null, metadata.length);
      default:
        return undefined;
    }
  } catch (cause) {
    return `it cannot be decoded (${(cause as Error).message})`;
  }
}

/**
 * Checks an IPC file's footer flatbuffer before apache-arrow decodes it: its schema, and no more
 * blocks than its bytes can list. The problem, or undefined.
 *
 * @example
 * const problem = footerProblem(footerBytes);
 */
export function footerProblem(footer: Uint8Array): string | undefined {
  try {
    const table = FbFooter.getRootAsFooter(new ByteBuffer(footer));
    const most = Math.floor(footer.length / 24);
    if (table.dictionariesLength() > most || table.recordBatchesLength() > most)
      return `the footer lists more blocks than its ${footer.length} bytes can hold`;
    const schema = table.schema();
    return schema ? schemaProblem(schema, footer.length) : 'the footer has no schema';
  } catch (cause) {
    return `it cannot be decoded (${(cause as Error).message})`;
  }
}
