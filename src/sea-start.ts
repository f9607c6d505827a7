// Imported first by the single executable's entry (sea-main.ts), before anything opens a descriptor: the list of
// descriptors gracie inherited, where the npm package's launcher would have put it (child.ts reads it at spawn).
import { INHERITED_FDS } from './child';
import { inheritedDescriptorsAtStart } from './sea';

process.env[INHERITED_FDS] = inheritedDescriptorsAtStart();
