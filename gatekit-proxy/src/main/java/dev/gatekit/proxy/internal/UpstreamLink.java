package dev.gatekit.proxy.internal;

import dev.gatekit.api.Transport;
import dev.gatekit.proxy.internal.chain.Stage;
import java.util.List;

/**
 * One upstream of a session with its two chains: towards the upstream (client requests and
 * notifications) and towards the client (the upstream's notifications and requests).
 */
record UpstreamLink(String name, Transport transport, List<Stage> towardsUpstream, List<Stage> towardsClient) {}
