//! SDP bodies captured from Asterisk, shared by the SDP and call-control tests. Written with
//! `\n`; the tests convert to `\r\n` where SIP framing matters.
#![allow(dead_code)]

/// Asterisk's initial INVITE: PCMU, PCMA and telephone-event 0-16, 20 ms.
pub const ASTERISK_OFFER: &str = "v=0
o=- 1716395425 1716395425 IN IP4 192.0.2.10
s=Asterisk
c=IN IP4 192.0.2.10
t=0 0
m=audio 10000 RTP/AVP 0 8 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=maxptime:150
a=sendrecv
";

/// Asterisk's T.38 re-INVITE: the audio stream disabled, the image stream added.
pub const ASTERISK_T38_REINVITE: &str = "v=0
o=- 1716395425 1716395427 IN IP4 192.0.2.10
s=Asterisk
c=IN IP4 192.0.2.10
t=0 0
m=audio 0 RTP/AVP 0 8 101
m=image 4000 udptl t38
a=T38FaxVersion:0
a=T38MaxBitRate:14400
a=T38FaxRateManagement:transferredTCF
a=T38FaxMaxDatagram:400
a=T38FaxUdpEC:t38UDPRedundancy
";

/// Asterisk's re-INVITE back to audio after the fax: the image stream disabled.
pub const ASTERISK_BACK_TO_AUDIO: &str = "v=0
o=- 1716395425 1716395428 IN IP4 192.0.2.10
s=Asterisk
c=IN IP4 192.0.2.10
t=0 0
m=audio 10000 RTP/AVP 0 8 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=sendrecv
m=image 0 udptl t38
";
