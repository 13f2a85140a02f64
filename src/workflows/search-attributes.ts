// The search attributes of CONTRACT §3. They must be registered in the namespace (the dev
// server started by docktor does it); `docktor up` checks and tells the workflow whether to set them.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DocktorService = defineSearchAttributeKey('DocktorService', SearchAttributeType.KEYWORD);
export const DocktorProject = defineSearchAttributeKey('DocktorProject', SearchAttributeType.KEYWORD);
export const DocktorReplicas = defineSearchAttributeKey('DocktorReplicas', SearchAttributeType.INT);
export const DocktorPaused = defineSearchAttributeKey('DocktorPaused', SearchAttributeType.BOOL);

export const SEARCH_ATTRIBUTES = [DocktorService, DocktorProject, DocktorReplicas, DocktorPaused] as const;
