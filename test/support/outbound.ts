// The outbound policy tests run under: loopback only, as the test network rule demands, so a test that would dial
// anything else (a cloud emulator's 10.x answer, a real endpoint) is refused instead of leaving the machine.
import { OutboundPolicy } from '../../integrations/outbound/policy.ts';

export const testOutbound = new OutboundPolicy({ allow: ['127.0.0.0/8', '::1/128'], deny: [] });
