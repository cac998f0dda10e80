import { useEffect, useState } from 'react';
import { ActivationPage } from './activations/activation-page';
import { ActivationsPage } from './activations/activations-page';
import { OrchestrationPage } from './activations/orchestration-page';
import { forgetKey, storedKey } from './api-client';
import { JourneyEditorPage } from './journeys/journey-editor';
import { JourneyPage } from './journeys/journey-page';
import { JourneysListPage } from './journeys/journeys-list-page';
import { PlaysPage } from './journeys/plays-page';
import { BuilderPage } from './builder/builder-page';
import { ProfilesPage } from './profiles/profile-page';
import { SegmentPage } from './segments/segment-page';
import { SegmentsList } from './segments/segments-list';
import { ConsentPage } from './privacy/consent-page';
import { QuizzesPage } from './quizzes/quizzes-page';
import { SuppressionsPage } from './privacy/suppressions-page';
import { ErrorBoundary } from './error-boundary';
import { SignIn } from './sign-in';
import { ComputedTraitPage } from './traits/computed-trait-page';
import { ComputedTraitsPage } from './traits/computed-traits-page';
import { SqlTraitsPage } from './traits/sql-traits-page';
import { forgetWriteAccess } from './traits/write-access';

// Hash routes: the API serves one index.html, and the key never appears in them.
function useRoute(): string[] {
  const read = () => window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function Page({ route }: { route: string[] }) {
  const [section, id, action] = route;
  if (section === 'segments' && id) return <SegmentPage key={id} id={id} />;
  if (section === 'builder') return <BuilderPage key={id ?? 'new'} id={id} />;
  if (section === 'activations' && id) return <ActivationPage key={id} id={id} />;
  if (section === 'activations') return <ActivationsPage />;
  if (section === 'orchestration') return <OrchestrationPage />;
  if (section === 'journeys' && id === 'new') return <JourneyEditorPage key="new" />;
  if (section === 'journeys' && id && action === 'edit')
    return <JourneyEditorPage key={`edit-${id}`} journeyKey={decodeURIComponent(id)} />;
  if (section === 'journeys' && id) return <JourneyPage key={id} journeyKey={decodeURIComponent(id)} />;
  if (section === 'journeys') return <JourneysListPage />;
  if (section === 'plays') return <PlaysPage />;
  if (section === 'profiles') return <ProfilesPage key={id ?? 'search'} id={id} />;
  if (section === 'suppressions') return <SuppressionsPage />;
  if (section === 'consent') return <ConsentPage />;
  if (section === 'computed-traits' && id) return <ComputedTraitPage key={id} traitKey={decodeURIComponent(id)} />;
  if (section === 'computed-traits') return <ComputedTraitsPage />;
  if (section === 'sql-traits') return <SqlTraitsPage />;
  if (section === 'quizzes') return <QuizzesPage key={id ?? 'list'} quizKey={id ? decodeURIComponent(id) : undefined} />;
  return <SegmentsList />;
}

const NAV: [string, string][] = [
  ['segments', 'Segments'],
  ['builder', 'Builder'],
  ['computed-traits', 'Computed traits'],
  ['sql-traits', 'SQL traits'],
  ['quizzes', 'Quizzes'],
  ['activations', 'Activations'],
  ['orchestration', 'Caps and priorities'],
  ['journeys', 'Journeys'],
  ['plays', 'Plays'],
  ['profiles', 'Profiles'],
  ['suppressions', 'Suppressions'],
  ['consent', 'Consent'],
];

export function App() {
  const [signedIn, setSignedIn] = useState(() => storedKey() !== null);
  const route = useRoute();
  const path = route.join('/');
  // A new page moves keyboard focus to its content, as a full page load would.
  useEffect(() => {
    document.getElementById('main')?.focus();
  }, [path]);
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  const current = route[0] ?? 'segments';
  return (
    <>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">audiencekit</span>
        <nav aria-label="Main">
          {NAV.map(([path, label]) => (
            <a key={path} href={`#/${path}`} aria-current={current === path ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <button type="button" className="link" onClick={() => (forgetKey(), forgetWriteAccess(), setSignedIn(false))}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorBoundary key={path}>
          <Page route={route} />
        </ErrorBoundary>
      </main>
    </>
  );
}
