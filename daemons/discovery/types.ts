// The discovery service's results cross the wire; their types live with the protocol.
export type { Change, ChangeKind, ChangesResult, DiscoveryStatus, ShadowHit } from '../../protocol/discovery.js';
