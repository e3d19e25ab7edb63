// X-ARF v4 copyright types, from the published type schemas' fields.
import { z } from 'zod';
import { count, dateTime, fullDate, share, text, uri } from './formats';
import { xarfV4Core } from './xarf-v4-core';

const of = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values);
const hex = (n: number) => z.string().regex(new RegExp(`^[a-fA-F0-9]{${n}}$`), `must be ${n} hex digits`);

// Copyright types: the work and its rights holder are common; each channel has its own evidence fields.
const copyrightBase = xarfV4Core.extend({
  category: z.literal('copyright'),
  work_title: text(500).optional(),
  rights_holder: text(200).optional(),
});

export const copyrightCopyright = copyrightBase.extend({
  type: z.literal('copyright'),
  infringing_url: uri,
  original_url: uri.optional(),
  infringement_type: of(['direct_copy', 'modified_copy', 'streaming', 'download', 'distribution']).optional(),
});

export const copyrightCyberlocker = copyrightBase.extend({
  type: z.literal('cyberlocker'),
  evidence_source: of(['automated_crawl', 'manual_discovery', 'user_report', 'rights_holder', 'search_engine']).optional(),
  infringing_url: uri,
  hosting_service: text(200),
  file_info: z
    .strictObject({
      filename: text(500).optional(),
      file_size: count(0).optional(),
      file_hash: z.string().regex(/^(md5|sha1|sha256):[a-fA-F0-9]+$/, 'must be algorithm:hex').optional(),
      upload_date: dateTime.optional(),
      download_count: count(0).optional(),
    })
    .optional(),
  uploader_info: z
    .strictObject({ username: text(200).optional(), user_id: text(100).optional(), account_type: of(['free', 'premium', 'business', 'unknown']).optional() })
    .optional(),
  work_category: of(['movie', 'tv_show', 'music', 'software', 'ebook', 'audiobook', 'game', 'document', 'other']).optional(),
  access_method: of(['direct_link', 'password_protected', 'premium_only', 'time_limited', 'captcha_protected']).optional(),
  takedown_info: z
    .strictObject({ previous_requests: count(0).optional(), service_response_time: z.string().optional(), automated_removal: z.boolean().optional() })
    .optional(),
});

export const copyrightLinkSite = copyrightBase.extend({
  type: z.literal('link_site'),
  evidence_source: of(['automated_crawl', 'manual_monitoring', 'user_report', 'rights_holder', 'search_monitoring']).optional(),
  infringing_url: uri,
  site_name: text(200),
  site_category: of(['torrent_index', 'direct_download_links', 'streaming_links', 'usenet_index', 'search_engine', 'forum_links', 'other']).optional(),
  link_info: z
    .strictObject({
      page_title: text(500).optional(),
      posting_date: dateTime.optional(),
      uploader: text(200).optional(),
      download_count: count(0).optional(),
      link_count: count(1).optional(),
      comments_count: count(0).optional(),
    })
    .optional(),
  linked_content: z
    .array(
      z.strictObject({
        target_url: uri,
        link_type: of(['torrent_file', 'magnet_link', 'direct_download', 'streaming_link', 'usenet_nzb', 'other']),
        hosting_service: text(200).optional(),
        file_size: count(0).optional(),
      }),
    )
    .max(50)
    .optional(),
  work_category: of(['movie', 'tv_show', 'music', 'software', 'ebook', 'audiobook', 'game', 'adult_content', 'other']).optional(),
  search_terms: z.array(text(200)).max(10).optional(),
  site_ranking: z.strictObject({ alexa_rank: count(1).optional(), popularity_score: z.number().min(0).max(10).optional() }).optional(),
});

export const copyrightP2p = copyrightBase
  .extend({
    type: z.literal('p2p'),
    evidence_source: of(['automated_crawl', 'manual_monitoring', 'user_report', 'rights_holder', 'watermark_detection']).optional(),
    p2p_protocol: of(['bittorrent', 'edonkey', 'gnutella', 'kademlia', 'other']),
    swarm_info: z
      .strictObject({
        info_hash: hex(40).optional(),
        magnet_uri: z.string().regex(/^magnet:\?xt=urn:/, 'must be a magnet URI').optional(),
        torrent_name: text(500).optional(),
        file_count: count(1).optional(),
        total_size: count(0).optional(),
      })
      .optional(),
    peer_info: z
      .strictObject({
        peer_id: text(100).optional(),
        client_version: text(100).optional(),
        upload_amount: count(0).optional(),
        download_amount: count(0).optional(),
      })
      .optional(),
    work_category: of(['movie', 'tv_show', 'music', 'software', 'ebook', 'audiobook', 'game', 'other']).optional(),
    release_date: fullDate.optional(),
    detection_method: of(['automated_crawl', 'fingerprinting', 'metadata_match', 'manual_verification']).optional(),
  })
  .superRefine((doc, ctx) => {
    // The swarm must be identifiable: an info hash or a magnet link.
    const swarm = doc.swarm_info;
    if (!swarm || (swarm.info_hash === undefined && swarm.magnet_uri === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['swarm_info'], message: 'must be present with info_hash or magnet_uri' });
    }
  });

export const copyrightUgcPlatform = copyrightBase.extend({
  type: z.literal('ugc_platform'),
  evidence_source: of(['automated_detection', 'user_report', 'rights_holder', 'content_id_match', 'fingerprint_match', 'manual_review']).optional(),
  infringing_url: uri,
  platform_name: text(200),
  content_info: z
    .strictObject({
      content_id: text(200).optional(),
      content_title: text(500).optional(),
      content_description: text(2000).optional(),
      upload_date: dateTime.optional(),
      content_duration: count(0).optional(),
      view_count: count(0).optional(),
      like_count: count(0).optional(),
    })
    .optional(),
  uploader_info: z
    .strictObject({
      username: text(200).optional(),
      user_id: text(100).optional(),
      account_verified: z.boolean().optional(),
      subscriber_count: count(0).optional(),
      account_creation_date: dateTime.optional(),
    })
    .optional(),
  work_category: of([
    'movie', 'tv_show', 'music', 'music_video', 'audiobook', 'podcast', 'live_performance', 'sports_event', 'documentary', 'other',
  ]).optional(),
  infringement_type: of(['full_work', 'substantial_portion', 'compilation', 'remix_unauthorized', 'background_music', 'clip_mashup']).optional(),
  match_details: z
    .strictObject({
      match_confidence: share.optional(),
      match_duration: count(0).optional(),
      match_percentage: z.number().min(0).max(100).optional(),
      reference_id: text(200).optional(),
    })
    .optional(),
  monetization_info: z
    .strictObject({ monetized: z.boolean().optional(), ad_revenue: z.boolean().optional(), premium_content: z.boolean().optional() })
    .optional(),
});

export const copyrightUsenet = copyrightBase
  .extend({
    type: z.literal('usenet'),
    evidence_source: of(['automated_monitoring', 'newsgroup_crawl', 'user_report', 'rights_holder', 'nzb_index_monitoring']).optional(),
    newsgroup: text(200),
    message_info: z
      .strictObject({
        message_id: text(500).optional(),
        subject: text(500).optional(),
        from_header: text(200).optional(),
        posting_date: dateTime.optional(),
        part_number: count(1).optional(),
        total_parts: count(1).optional(),
        file_size: count(0).optional(),
      })
      .optional(),
    nzb_info: z
      .strictObject({
        nzb_name: text(500).optional(),
        nzb_url: uri.optional(),
        indexer_site: text(200).optional(),
        completion_percentage: z.number().min(0).max(100).optional(),
      })
      .optional(),
    server_info: z
      .strictObject({ nntp_server: text(200).optional(), server_group: text(200).optional(), retention_days: count(1).optional() })
      .optional(),
    work_category: of(['movie', 'tv_show', 'music', 'software', 'ebook', 'audiobook', 'magazine', 'game', 'adult_content', 'other']).optional(),
    encoding_info: z
      .strictObject({
        encoding_format: of(['yenc', 'uuencode', 'base64', 'other']).optional(),
        par2_recovery: z.boolean().optional(),
        rar_compression: z.boolean().optional(),
      })
      .optional(),
    detection_method: of(['subject_line_match', 'header_analysis', 'content_sampling', 'nzb_metadata']).optional(),
  })
  .superRefine((doc, ctx) => {
    // A Usenet notice must point at the article: its Message-ID.
    if (doc.message_info?.message_id === undefined) {
      ctx.addIssue({ code: 'custom', path: ['message_info', 'message_id'], message: 'is required' });
    }
  });
